/**
 * Port preview: `/sandbox/preview/<clusterId>/<node>/<port>/<path>` is an HTTP reverse proxy from
 * this server to <node ip>:<port>, so a learner opens the app they published (the Flask app on
 * 5000, the visualizer on 8080) in their browser although the nodes sit on a private network.
 *
 * Streaming both ways, bodies untouched; only redirects that point at the node are rewritten to
 * stay under the prefix. Only the cluster's owner may open it. When nothing answers, a short
 * connect timeout ends in a page that says why (on a host without IPVS: an ingress-published port).
 *
 * Isolation. The preview serves whatever the learner's app sends from OUR origin, so it must never
 * be able to act as our origin (call /sandbox APIs with the viewer's cookie, read our pages):
 * - Every response carries `Content-Security-Policy: sandbox ...` without allow-same-origin: the
 *   document runs in an opaque origin. Its scripts see no cookies or storage of ours, its requests
 *   say `Origin: null`, which the /sandbox door refuses (http/router.ts), and browsers send
 *   no SameSite=Strict cookie with anything it loads or navigates to.
 * - That last point also means the preview's OWN sub-requests (page.js, `fetch('api/state')`, the
 *   visualizer's EventSource, form posts) arrive without the session cookie (checked in Chromium:
 *   the top-level navigation from the workbench carries it, every sub-request of the sandboxed page
 *   comes with `Sec-Fetch-Site: cross-site` and no cookie). So the cookie cannot authorise the
 *   preview. Instead the plain address above (what the port badge links to) is only an entry: with
 *   the owner's cookie, from our own origin, it redirects to a capability address
 *   `/sandbox/preview/<clusterId>/<node>/<port>~<token>/<path>`, and only that is proxied.
 *   The token is an HMAC (per-process secret) over the owner's session id, cluster, node, port and
 *   an expiry: it opens exactly one port of one node, and dies with the cluster (reset, reaping),
 *   with the owner's session, with a server restart, or after TOKEN_TTL_MS, whichever comes first.
 *   Trade-off: whoever holds the URL can use the preview without a cookie until then (a capability
 *   link, as with any "anyone with the link" share), in exchange for previews that work as ordinary
 *   web apps in an isolated origin. The URL is kept out of Referer headers (no-referrer), and it
 *   grants nothing on /sandbox itself. An expired link reopened from the address bar or the badge
 *   gets a fresh token through the same cookie check.
 * - Cross-origin reads by the preview's own scripts need CORS now: requests with `Origin: null` to a
 *   capability address get `Access-Control-Allow-Origin: null` (and preflights are answered here).
 * - Headers of the app that would act on our whole origin are dropped: Set-Cookie (cookies are per
 *   host, a `Path=/` cookie would land on the workbench; from an opaque origin cookies barely work
 *   anyway, so dropping beats rewriting), Clear-Site-Data (would log the viewer out), HSTS, Alt-Svc,
 *   reporting, Origin-Agent-Cluster, Service-Worker-Allowed. The app's own CSP is kept: several
 *   policies all apply, so it can only add restrictions to ours, never lift the sandbox.
 * - No cookie of ours is forwarded to the app, and `X-Content-Type-Options: nosniff` is set.
 *
 * Files: capability.ts (addresses, tokens, who may open what), headers.ts (the header policy),
 * tunnel.ts (WebSocket upgrades: only on a real 101, idle timeout, per-session cap), this file (the
 * streaming proxy and its error pages).
 */
import http from 'node:http';
import net from 'node:net';
import { paths, type PublishedPortView } from '@contract/protocol.ts';
import type { LiveCluster } from '../clusters/live.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { authorize, parsePreviewPath, type Access, type PreviewTarget } from './capability.ts';
import type { TunnelDeps } from './tunnel.ts';
import { CORS_FOR_OPAQUE, SECURITY_HEADERS, forwardHeaders, responseHeaders } from './headers.ts';

/** What the proxy needs: TunnelDeps (who may open a preview, connect timeout, tunnel limits), a log and a response timeout. */
export interface PreviewDeps extends TunnelDeps {
  log: Logger;
  /** Time for the app to start answering once connected. */
  responseTimeoutMs?: number;
}

export { handlePreviewUpgrade } from './tunnel.ts';

export async function handlePreview(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deps: PreviewDeps): Promise<void> {
  const target = parsePreviewPath(url.pathname);
  if (!target) return page(res, 404, 'Not a preview address', `Preview addresses look like ${paths.preview}/<cluster>/<node>/<port>/.`);
  if (target.path === null) {
    // Relative links in the app's pages resolve against the directory: make it one.
    req.resume();
    res.writeHead(308, { ...SECURITY_HEADERS, Location: `${url.pathname}/${url.search}`, 'Cache-Control': 'no-store' });
    return void res.end();
  }
  const access = authorize(req, target, deps);
  if (access.ok === 'issue') {
    // 307 keeps the method and body; the capability address is what the browser shows from now on.
    req.resume();
    res.writeHead(307, { ...SECURITY_HEADERS, Location: `${access.prefix}${target.path}${url.search}`, 'Cache-Control': 'no-store' });
    return void res.end();
  }
  if (!access.ok) {
    req.resume();
    return page(res, access.status, access.title, access.text);
  }
  if (req.headers.origin === 'null' && req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    // A preflight of the preview's own script (its origin is opaque now): what same-origin allowed before.
    req.resume();
    const allow: http.OutgoingHttpHeaders = {
      ...SECURITY_HEADERS,
      ...CORS_FOR_OPAQUE,
      'Access-Control-Allow-Methods': req.headers['access-control-request-method'],
      'Access-Control-Max-Age': '600',
    };
    if (req.headers['access-control-request-headers']) allow['Access-Control-Allow-Headers'] = req.headers['access-control-request-headers'];
    res.writeHead(204, allow);
    return void res.end();
  }
  if (req.headers['service-worker'] !== undefined) {
    // Never let a preview script become a service worker of our origin.
    req.resume();
    return page(res, 403, 'No service workers from previews', 'A port preview cannot register a service worker.');
  }
  await proxy(req, res, { ...target, path: target.path + url.search }, access, deps);
}

function proxy(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: PreviewTarget & { path: string },
  access: Extract<Access, { ok: true }>,
  deps: PreviewDeps,
): Promise<void> {
  return new Promise((resolve) => {
    const upstream = http.request({
      host: access.ip,
      port: target.port,
      method: req.method,
      path: target.path,
      headers: forwardHeaders(req, access.prefix),
      agent: false,
    });
    let connected = false;
    const connectTimer = setTimeout(() => upstream.destroy(new Error('connect timeout')), deps.connectTimeoutMs ?? 2_500);
    upstream.on('socket', (socket: net.Socket) => {
      const onConnect = () => {
        connected = true;
        clearTimeout(connectTimer);
        upstream.setTimeout(deps.responseTimeoutMs ?? 60_000, () => upstream.destroy(new Error('response timeout')));
      };
      if (socket.connecting) socket.once('connect', onConnect);
      else onConnect();
    });
    upstream.on('response', (up) => {
      upstream.setTimeout(0);
      const headers = responseHeaders(up.headers, { prefix: access.prefix, ip: access.ip, target, opaqueOrigin: req.headers.origin === 'null' });
      try {
        // Throws on what Node will not send (a status under 100, say): the browser still gets words.
        res.writeHead(up.statusCode ?? 0, up.statusMessage, headers);
      } catch (err) {
        upstream.destroy();
        res.statusMessage = ''; // writeHead kept the app's reason even though it threw
        const where = `${target.node}:${target.port}`;
        page(res, 502, `${where} sent an invalid answer`, `The app on ${where} answered with something that is not valid HTTP (${errorMessage(err)}).`);
        return resolve();
      }
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.on('error', (err) => {
      clearTimeout(connectTimer);
      if (res.headersSent) {
        res.destroy();
        return resolve();
      }
      void explainFailure(res, target, access.cluster, connected, err).finally(resolve);
    });
    // The browser went away (or sent a body we stream on): stop talking to the node as well.
    res.on('close', () => {
      clearTimeout(connectTimer);
      if (!res.writableFinished) upstream.destroy();
      resolve();
    });
    req.pipe(upstream);
  });
}

async function explainFailure(res: http.ServerResponse, target: PreviewTarget, cluster: LiveCluster, connected: boolean, err: Error): Promise<void> {
  const state = cluster.state.current ?? (await cluster.state.refresh().catch(() => undefined));
  const ports = state?.ports.filter((p) => p.node === target.node) ?? [];
  const known = ports.find((p) => p.port === target.port && p.protocol === 'tcp');
  const where = `${target.node}:${target.port}`;
  if (known?.problem) return page(res, 502, `Port ${target.port} does not answer on this host`, known.problem);
  if (connected) {
    return page(res, 504, `${where} did not answer`, `Something accepted the connection on ${where} but did not answer in time (${errorMessage(err)}). Is the app still starting?`);
  }
  const listing = ports.length ? `Ports published on ${target.node}: ${ports.map(describePort).join(', ')}.` : `Nothing is published on ${target.node} right now.`;
  const hint = known
    ? `${describePort(known)} is published but does not accept connections yet: its task or container may still be starting.`
    : `Publish it first, e.g. docker service create --publish mode=host,published=${target.port},target=<container port> ... or docker run -p ${target.port}:<container port> ...`;
  return page(res, 502, `Nothing answers on ${where}`, `${hint} ${listing} (${errorMessage(err)})`);
}

function describePort(p: PublishedPortView): string {
  return `${p.port} → ${p.target}/${p.protocol} (${p.kind === 'container' ? `container ${p.owner}` : `service ${p.owner}, ${p.kind} mode`})`;
}

function page(res: http.ServerResponse, status: number, title: string, text: string): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · port preview</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { max-width: 44rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.55; }
  h1 { font-size: 1.35rem; } p { white-space: pre-wrap; } small { opacity: .7; }
</style></head>
<body><main><h1>${esc(title)}</h1><p>${esc(text)}</p><small>Swarm Workbench port preview · HTTP ${status}</small></main></body></html>
`;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Swb-Preview': 'error' });
  res.end(body);
}
