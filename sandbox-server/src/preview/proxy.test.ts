import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePreviewPath, rewriteLocation, stripCookie } from './proxy.js';

test('preview paths: cluster, node, port and the rest; anything else is not one', () => {
  assert.deepEqual(parsePreviewPath('/sandbox/preview/34e81ee564/manager/5000/'), { clusterId: '34e81ee564', node: 'manager', port: 5000, path: '/' });
  assert.deepEqual(parsePreviewPath('/sandbox/preview/34e81ee564/worker-2/8080/api/events'), { clusterId: '34e81ee564', node: 'worker-2', port: 8080, path: '/api/events' });
  assert.deepEqual(parsePreviewPath('/sandbox/preview/34e81ee564/manager/5000'), { clusterId: '34e81ee564', node: 'manager', port: 5000, path: null });
  for (const bad of ['/sandbox/preview/', '/sandbox/preview/XYZ/manager/5000/', '/sandbox/preview/34e81ee564/host/5000/', '/sandbox/preview/34e81ee564/manager/0/', '/sandbox/preview/34e81ee564/manager/70000/', '/sandbox/files/x']) {
    assert.equal(parsePreviewPath(bad), null, bad);
  }
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

test("the workbench session cookie never reaches the learner's app", () => {
  assert.equal(stripCookie('swb_session=secret; theme=dark; a=b', 'swb_session'), 'theme=dark; a=b');
  assert.equal(stripCookie('swb_session=secret', 'swb_session'), '');
  assert.equal(stripCookie(undefined, 'swb_session'), '');
});
