/**
 * Port previews are isolated from the workbench's origin: every response runs in an opaque origin
 * (CSP sandbox), the app cannot plant cookies or clear ours, it never sees our cookies, the session
 * cookie only opens a short-lived capability address (one port of one node), and `/sandbox` refuses
 * requests from an opaque origin (`Origin: null`), HTTP and WebSocket alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { paths, type ClusterState } from '../../contract/protocol.ts';
import { PREVIEW_CSP } from '../../sandbox-server/src/preview/headers.ts';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** A hostile app: tries to plant cookies on our origin, clear our site data and lift the sandbox; echoes what it received. */
const HOSTILE_APP = `
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def answer(self):
        body = json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if self.path.startswith("/echo") else "text/html")
        self.send_header("Set-Cookie", "swb_session=planted; Path=/; HttpOnly")
        self.send_header("Set-Cookie", "app=1; Path=/")
        self.send_header("Clear-Site-Data", '"cookies", "storage"')
        self.send_header("Content-Security-Policy", "sandbox allow-same-origin allow-scripts")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Referrer-Policy", "unsafe-url")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_OPTIONS = answer
    def log_message(self, *a):
        pass

ThreadingHTTPServer(("0.0.0.0", 8081), H).serve_forever()
`;

function latest(learner: Learner): ClusterState | undefined {
  for (let i = learner.messages.length - 1; i >= 0; i--) {
    const m = learner.messages[i]!;
    if (m.type === 'clusterState') return m.state;
  }
  return undefined;
}

/** The upgrade's answer: 101 or the HTTP status that refused it. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

describe('port preview isolation', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let learner: Learner;
  let entry = ''; // what the port badge links to
  let capability = ''; // where the entry redirects the owner

  before(async () => {
    server = await startTestServer('pv');
    learner = await Learner.join(server.url);
    await learner.waitReady();
    const saved = await learner.fetch(`${paths.files}/hostile.py`, { method: 'PUT', body: HOSTILE_APP });
    assert.equal(saved.status, 200, await saved.text());
    await learner.open('t-manager', 'manager');
    await learner.run('t-manager', 'docker run -d --name hostile -p 8081:8081 -v /lab/hostile.py:/hostile.py flask_app:3.0 python3 /hostile.py >/dev/null');
    await waitFor(() => !!latest(learner)?.ports.some((p) => p.node === 'manager' && p.port === 8081), 60_000, 'port 8081 in the picture', () => JSON.stringify(latest(learner)?.ports));
    entry = latest(learner)!.ports.find((p) => p.node === 'manager' && p.port === 8081)!.url!;
    let status = 0;
    await waitFor(
      async () => {
        const res = await learner.fetch(entry, { redirect: 'manual' });
        status = res.status;
        capability = res.headers.get('location') ?? '';
        if (status !== 307) return false;
        return (await fetch(`${server.url}${capability}`)).status === 200;
      },
      60_000,
      'the hostile app answering through the preview',
      () => `HTTP ${status} ${capability}`,
    );
  });
  after(async () => {
    learner?.close();
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  test("the owner's cookie on the entry address gets a capability address for that one port", () => {
    assert.match(entry, /^\/sandbox\/preview\/[0-9a-f]+\/manager\/8081\/$/);
    assert.ok(capability.startsWith(`${entry.slice(0, -1)}~`), capability);
    assert.ok(capability.endsWith('/'));
  });

  test('every preview response runs sandboxed, unsniffed, without Referer, and sets no cookie on our origin', async () => {
    const res = await fetch(`${server.url}${capability}`); // no cookie at all: the capability is enough
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.ok(csp.split(/,\s*/).includes(PREVIEW_CSP), `our sandbox policy is among the policies: ${csp}`);
    assert.doesNotMatch(PREVIEW_CSP, /allow-same-origin/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.deepEqual(res.headers.getSetCookie(), [], "the app's Set-Cookie never reaches the browser");
    assert.equal(res.headers.get('clear-site-data'), null, "the app cannot clear the viewer's session");
    await res.arrayBuffer();

    // The entry redirect and the error pages carry the same policy.
    const redirect = await learner.fetch(entry, { redirect: 'manual' });
    assert.equal(redirect.headers.get('content-security-policy'), PREVIEW_CSP);
    const denied = await fetch(`${server.url}${entry}`);
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('content-security-policy'), PREVIEW_CSP);
    await denied.arrayBuffer();
  });

  test('the app never sees a cookie of ours', async () => {
    const res = await learner.fetch(`${capability}echo`, { headers: { Cookie: `${learner.cookie}; other=1` } });
    const seen = (await res.json()) as { headers: Record<string, string> };
    const names = Object.keys(seen.headers).map((h) => h.toLowerCase());
    assert.ok(!names.includes('cookie'), JSON.stringify(seen.headers));
    assert.equal(Object.entries(seen.headers).find(([k]) => k.toLowerCase() === 'x-forwarded-prefix')?.[1], capability.slice(0, -1));
  });

  test("the preview's own scripts (Origin: null) may read it, with preflights answered", async () => {
    const res = await fetch(`${server.url}${capability}echo`, { headers: { Origin: 'null' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'null', "replaces the app's `*`");
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    const seen = (await res.json()) as { headers: Record<string, string> };
    assert.equal(Object.entries(seen.headers).find(([k]) => k.toLowerCase() === 'origin')?.[1], 'null');
    const pre = await fetch(`${server.url}${capability}echo`, {
      method: 'OPTIONS',
      headers: { Origin: 'null', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-methods'), 'PUT');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type');
    const post = await fetch(`${server.url}${capability}echo`, { method: 'POST', headers: { Origin: 'null', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    assert.equal(post.status, 200, 'a form in the preview posts to its own app');
  });

  test('/sandbox refuses Origin: null, over HTTP and WebSocket, even with the session cookie', async () => {
    const nul = { Origin: 'null' };
    const session = await learner.fetch(paths.session, { method: 'POST', headers: nul });
    assert.equal(session.status, 403);
    assert.equal(session.headers.getSetCookie().length, 0);
    assert.equal((await learner.fetch(paths.files, { headers: nul })).status, 403);
    assert.equal((await learner.fetch(`${paths.files}/hostile.py`, { method: 'PUT', headers: nul, body: 'x' })).status, 403);
    assert.equal((await learner.fetch(paths.reset, { method: 'POST', headers: nul })).status, 403);
    assert.equal((await learner.fetch(entry, { headers: nul, redirect: 'manual' })).status, 403, 'no capability for an opaque origin');
    const wsUrl = `${server.url.replace(/^http/, 'ws')}${paths.ws}`;
    assert.equal(await upgradeStatus(wsUrl, { Cookie: learner.cookie, Origin: 'null' }), 403);
    assert.equal(await upgradeStatus(wsUrl, { Cookie: learner.cookie, Origin: 'http://evil.example' }), 403);
  });

  test('the cookie only counts from our own origin; capabilities cannot be forged or moved', async () => {
    const crossSite = await learner.fetch(entry, { headers: { 'Sec-Fetch-Site': 'cross-site' }, redirect: 'manual' });
    assert.equal(crossSite.status, 401, 'a cookie a browser sent along from another site does not mint a capability');
    const typed = await learner.fetch(entry, { headers: { 'Sec-Fetch-Site': 'none' }, redirect: 'manual' });
    assert.equal(typed.status, 307, 'the address bar and the badge do');

    const [head, mac] = capability.split('.') as [string, string];
    const forged = `${head}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    const res = await fetch(`${server.url}${forged}`);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /expired/);
    const otherPort = capability.replace('/8081~', '/5000~');
    assert.equal((await fetch(`${server.url}${otherPort}`)).status, 401, 'a capability opens only its own port');

    const other = await Learner.join(server.url);
    try {
      assert.equal((await other.fetch(entry, { redirect: 'manual' })).status, 403, "another learner's cookie gets no capability");
    } finally {
      other.close();
    }
  });

  test('preview WebSockets need the capability address, never the cookie', async () => {
    const base = server.url.replace(/^http/, 'ws');
    assert.equal(await upgradeStatus(`${base}${entry}`, { Cookie: learner.cookie }), 401);
    // The hostile app does not speak WebSocket: reaching it at all (not a 401/403 here) is the point.
    const through = await upgradeStatus(`${base}${capability}`, { Origin: 'null' }).catch((err: Error) => err.message);
    assert.notEqual(through, 401);
    assert.notEqual(through, 403);
  });
});
