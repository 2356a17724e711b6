/**
 * Port previews are isolated from the workbench's origin: every response runs in an opaque origin
 * (CSP sandbox), the app cannot plant cookies or clear ours, it never sees our cookies, the session
 * cookie only opens a short-lived capability address (one port of one node), and `/sandbox` refuses
 * requests from an opaque origin (`Origin: null`), HTTP and WebSocket alike. Upgrades are tunnelled
 * only when the app really answered `101` to `Upgrade: websocket`: an app answering 200 keeps no
 * connection and never gets the request pipelined behind the upgrade.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { paths, type ClusterState } from '@contract/protocol.ts';
import { PREVIEW_CSP } from '../../sandbox-server/src/preview/headers.ts';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * A hostile app: tries to plant cookies on our origin, clear our site data and lift the sandbox;
 * echoes what it received; answers 200 to upgrades on a kept-alive connection (every path it got is
 * listed at /seen), except on /ws, where it switches to WebSocket and echoes raw bytes.
 */
const HOSTILE_APP = `
import base64, hashlib, json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEEN = []

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def tunnel(self):
        key = self.headers.get("Sec-WebSocket-Key", "") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
        self.end_headers()
        while True:
            data = self.rfile.read1(65536)
            if not data:
                break
            self.wfile.write(data)
        self.close_connection = True
    def answer(self):
        SEEN.append(self.path)
        if self.path.startswith("/ws") and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.tunnel()
        if self.path.startswith("/seen"):
            body = json.dumps(SEEN).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
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
    // The capability gets through to the app; the app answers 200, so there is no tunnel (502).
    assert.equal(await upgradeStatus(`${base}${capability}`, { Origin: 'null' }), 502);
  });

  /** A raw client on one TCP connection: sends `text`, collects the answer. */
  function rawClient(text: string): { socket: net.Socket; got: () => string; closed: () => Promise<void> } {
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    let got = '';
    let isClosed = false;
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => (isClosed = true));
    socket.write(text);
    return { socket, got: () => got, closed: () => waitFor(() => isClosed, 30_000, 'the server to close the socket', () => got) };
  }
  const upgradeRequest = (path: string, upgrade = 'websocket') =>
    `GET ${capability}${path} HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nOrigin: null\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const seenByApp = async () => (await (await fetch(`${server.url}${capability}seen`)).json()) as string[];

  test('an app answering 200 to an upgrade gets no tunnel: an error answer, a closed socket, and the request pipelined behind it never reaches the app', async () => {
    const smuggled = `GET ${capability}smuggled-second HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\n\r\n`;
    const c = rawClient(upgradeRequest('upgrade-200') + smuggled);
    await c.closed();
    assert.match(c.got(), /^HTTP\/1\.1 502 Bad Gateway\r\n/, c.got());
    assert.match(c.got(), /\r\nConnection: close\r\n/i);
    assert.match(c.got(), /did not switch to WebSocket \(it answered HTTP 200\)/);
    assert.equal(c.got().match(/HTTP\/1\.1 /g)?.length, 1, 'one answer only: the second request was not served');
    const seen = await seenByApp();
    assert.ok(seen.includes('/upgrade-200'), `the app got the upgrade request: ${JSON.stringify(seen)}`);
    assert.ok(!seen.includes('/smuggled-second'), `the app never got the pipelined request: ${JSON.stringify(seen)}`);

    // Only WebSocket is forwarded at all: h2c is refused before the app is contacted.
    const h2c = rawClient(upgradeRequest('h2c-probe', 'h2c'));
    await h2c.closed();
    assert.match(h2c.got(), /^HTTP\/1\.1 400 [^]*WebSocket upgrades only/);
    assert.ok(!(await seenByApp()).includes('/h2c-probe'), 'the app never saw the h2c request');
  });

  test('control: an app answering 101 websocket is tunnelled, bytes both ways', async () => {
    const c = rawClient(upgradeRequest('ws'));
    try {
      await waitFor(() => c.got().includes('\r\n\r\n'), 30_000, 'the 101', c.got);
      assert.match(c.got(), /^HTTP\/1\.1 101 Switching Protocols\r\n/, c.got());
      assert.match(c.got(), /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i, 'the handshake of the app passes through');
      const at = c.got().length;
      c.socket.write('through the tunnel');
      await waitFor(() => c.got().slice(at) === 'through the tunnel', 30_000, 'the echo', c.got);
    } finally {
      c.socket.destroy();
    }
  });
});
