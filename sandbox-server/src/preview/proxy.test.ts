import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { isPreviewCapabilityUrl, mintToken, parsePreviewPath, tokenValid } from './capability.ts';
import { PREVIEW_CSP, responseHeaders, rewriteLocation } from './headers.ts';

test('preview paths: cluster, node, port, capability and the rest; anything else is not one', () => {
  assert.deepEqual(parsePreviewPath('/sandbox/preview/34e81ee564/manager/5000/'), { clusterId: '34e81ee564', node: 'manager', port: 5000, token: null, path: '/' });
  assert.deepEqual(parsePreviewPath('/sandbox/preview/34e81ee564/worker-2/8080/api/events'), { clusterId: '34e81ee564', node: 'worker-2', port: 8080, token: null, path: '/api/events' });
  assert.deepEqual(parsePreviewPath('/sandbox/preview/34e81ee564/manager/5000'), { clusterId: '34e81ee564', node: 'manager', port: 5000, token: null, path: null });
  const token = 'sz1k2a.AAAAAAAAAAAAAAAAAAAA_-';
  assert.deepEqual(parsePreviewPath(`/sandbox/preview/34e81ee564/manager/5000~${token}/api/x`), { clusterId: '34e81ee564', node: 'manager', port: 5000, token, path: '/api/x' });
  assert.equal(parsePreviewPath(`/sandbox/preview/34e81ee564/manager/5000~${token}`)?.path, null);
  assert.equal(parsePreviewPath(`/sandbox/preview/34e81ee564/manager/5000/~${token}/`)?.token, null, 'a path of the app is never a capability');
  for (const bad of ['/sandbox/preview/', '/sandbox/preview/XYZ/manager/5000/', '/sandbox/preview/34e81ee564/host/5000/', '/sandbox/preview/34e81ee564/manager/0/', '/sandbox/preview/34e81ee564/manager/70000/', '/sandbox/files/x', '/sandbox/preview/34e81ee564/manager/5000~short/']) {
    assert.equal(parsePreviewPath(bad), null, bad);
  }
  assert.equal(isPreviewCapabilityUrl(`/sandbox/preview/34e81ee564/manager/5000~${token}/x?y=1`), true);
  assert.equal(isPreviewCapabilityUrl('/sandbox/preview/34e81ee564/manager/5000/x'), false);
  assert.equal(isPreviewCapabilityUrl('/sandbox/session'), false);
});

test('a capability opens one port of one node of one owner, until it expires', () => {
  const secret = crypto.randomBytes(32);
  const port = { clusterId: '34e81ee564', node: 'manager', port: 5000 };
  const now = Date.now();
  const token = mintToken(secret, 'owner-1', port, now + 60_000);
  assert.ok(parsePreviewPath(`/sandbox/preview/34e81ee564/manager/5000~${token}/`)?.token, 'minted tokens fit the path grammar');
  assert.equal(tokenValid(secret, 'owner-1', port, token, now), true);
  assert.equal(tokenValid(secret, 'owner-1', port, token, now + 61_000), false, 'expired');
  assert.equal(tokenValid(secret, 'owner-2', port, token, now), false, 'another owner (a new session)');
  assert.equal(tokenValid(secret, 'owner-1', { ...port, port: 8080 }, token, now), false, 'another port');
  assert.equal(tokenValid(secret, 'owner-1', { ...port, node: 'worker-1' }, token, now), false, 'another node');
  assert.equal(tokenValid(secret, 'owner-1', { ...port, clusterId: 'abcdef0123' }, token, now), false, 'another cluster (after a reset)');
  assert.equal(tokenValid(crypto.randomBytes(32), 'owner-1', port, token, now), false, 'another server process');
  const [exp, mac] = token.split('.');
  assert.equal(tokenValid(secret, 'owner-1', port, `${(parseInt(exp!, 36) + 3600).toString(36)}.${mac}`, now), false, 'a stretched expiry');
  assert.equal(tokenValid(secret, 'owner-1', port, `${exp}.${mac!.slice(0, -1)}`, now), false);
});

test("the app's headers cannot lift the sandbox or act on our origin", () => {
  const o = { prefix: '/sandbox/preview/abc123/manager/5000~t', ip: '10.1.2.3', target: { node: 'manager', port: 5000 }, opaqueOrigin: false };
  const up = {
    'content-type': 'text/html',
    'set-cookie': ['sid=1; Path=/; HttpOnly', 'swb_session=planted; Path=/'],
    'clear-site-data': '"cookies", "storage"',
    'strict-transport-security': 'max-age=1; includeSubDomains',
    'content-security-policy': "sandbox allow-same-origin allow-scripts; default-src 'self'",
    'referrer-policy': 'unsafe-url',
    'x-content-type-options': 'whatever',
    'access-control-allow-origin': '*',
    location: '/next',
  };
  const h = responseHeaders(up, o);
  assert.equal(h['set-cookie'], undefined);
  assert.equal(h['clear-site-data'], undefined);
  assert.equal(h['strict-transport-security'], undefined);
  assert.deepEqual(h['content-security-policy'], ["sandbox allow-same-origin allow-scripts; default-src 'self'", PREVIEW_CSP], "the app's policy only adds to ours");
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h.location, `${o.prefix}/next`);
  assert.equal(h['access-control-allow-origin'], '*', 'left alone for a request that is not from a preview');

  const opaque = responseHeaders({ ...up, vary: 'Accept' }, { ...o, opaqueOrigin: true });
  assert.equal(opaque['access-control-allow-origin'], 'null');
  assert.equal(opaque['access-control-allow-credentials'], 'true');
  assert.equal(opaque.vary, 'Accept, Origin');
  assert.match(String(opaque['access-control-expose-headers']), /content-type/);
});

test('redirects to the node stay inside the preview; others are left alone', () => {
  const prefix = '/sandbox/preview/abc123/manager/5000';
  const target = { node: 'manager', port: 5000 };
  assert.equal(rewriteLocation('/login?next=/', prefix, '10.1.2.3', target), `${prefix}/login?next=/`);
  assert.equal(rewriteLocation('http://10.1.2.3:5000/x#y', prefix, '10.1.2.3', target), `${prefix}/x#y`);
  assert.equal(rewriteLocation('http://localhost:5000/', prefix, '10.1.2.3', target), `${prefix}/`);
  assert.equal(rewriteLocation('next', prefix, '10.1.2.3', target), 'next');
  assert.equal(rewriteLocation('https://example.org/', prefix, '10.1.2.3', target), 'https://example.org/');
  assert.equal(rewriteLocation('//cdn.example/x', prefix, '10.1.2.3', target), '//cdn.example/x');
  assert.equal(rewriteLocation('http://10.1.2.3:8080/', prefix, '10.1.2.3', target), 'http://10.1.2.3:8080/', 'another port is another app');
});
