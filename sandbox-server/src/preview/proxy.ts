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
 *   say `Origin: null`, which the /sandbox origin gate refuses (http/request.ts), and browsers send
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
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { nodeName, paths, previewPath, type PublishedPortView } from '../../../contract/protocol.ts';
import type { LiveCluster } from '../clusters/live.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';

export interface PreviewTarget {
  clusterId: string;
  node: string;
  port: number;
  /** The capability after `<port>~`, or null for the plain (entry) address. */
  token: string | null;
  /** Path on the node, starting with `/`; null when the URL lacks the slash after the port. */
  path: string | null;
}

/** What every preview response says: an opaque origin, no sniffing, no Referer with the capability. */
export const PREVIEW_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';
const SECURITY_HEADERS = {
  'Content-Security-Policy': PREVIEW_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/** How long a capability address works at most (it dies earlier with the cluster or the session). */
export const TOKEN_TTL_MS = 4 * 60 * 60_000;

/**
 * `/sandbox/preview/<clusterId>/<node>/<port>[~<token>][/<rest>]`, or null when the path is not one.
 * The token sits in the port segment so no path of the app can be mistaken for it.
 */
export function parsePreviewPath(pathname: string): PreviewTarget | null {
  const prefix = `${paths.preview}/`;
  if (!pathname.startsWith(prefix)) return null;
  const m = /^([0-9a-f]{6,32})\/([^/]+)\/([0-9]{1,5})(?:~([0-9a-z]{1,11}\.[A-Za-z0-9_-]{22}))?(\/.*)?$/.exec(pathname.slice(prefix.length));
  if (!m || !nodeName.safeParse(m[2]).success) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { clusterId: m[1]!, node: m[2]!, port, token: m[4] ?? null, path: m[5] ?? null };
}

/** Whether a request URL is a capability address (the only preview URLs an opaque origin may use). */
export function isPreviewCapabilityUrl(url: string | undefined): boolean {
  try {
    return !!parsePreviewPath(new URL(url ?? '/', 'http://local').pathname)?.token;
  } catch {
    return false;
  }
}

type Port = Pick<PreviewTarget, 'clusterId' | 'node' | 'port'>;

function tokenMac(secret: Buffer, ownerId: string, t: Port, exp: string): string {
  return crypto.createHmac('sha256', secret).update([ownerId, t.clusterId, t.node, String(t.port), exp].join('\n')).digest('base64url').slice(0, 22);
}

/** A capability for one port of one node of the owner's cluster, until `expiresAt` (ms). */
export function mintToken(secret: Buffer, ownerId: string, t: Port, expiresAt: number): string {
  const exp = Math.ceil(expiresAt / 1000).toString(36);
  return `${exp}.${tokenMac(secret, ownerId, t, exp)}`;
}

export function tokenValid(secret: Buffer, ownerId: string, t: Port, token: string, now: number): boolean {
  const [exp, mac] = token.split('.');
  if (!exp || !mac || parseInt(exp, 36) * 1000 <= now) return false;
  const want = Buffer.from(tokenMac(secret, ownerId, t, exp));
  const got = Buffer.from(mac);
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

/** One secret per process: a restart invalidates every capability (reopening the port mints a new one). */
const processSecret = crypto.randomBytes(32);

/**
 * Who may open a cluster's preview. Today only its owner; workshops will let the instructor of the
 * learner's workshop in here as well (viewer = instructor session, owner = learner).
 */
export function previewAllowed(viewer: LearnerSession, owner: LearnerSession): boolean {
  return viewer.id === owner.id;
}

export interface PreviewDeps {
  sessions: SessionManager;
  /** The requester's session from its cookie. */
  sessionOf: (req: http.IncomingMessage) => LearnerSession | undefined;
  log: Logger;
  connectTimeoutMs?: number;
  /** Time for the app to start answering once connected. */
  responseTimeoutMs?: number;
  /** Capability secret and lifetime (tests); default: a random per-process secret, TOKEN_TTL_MS. */
  tokenSecret?: Buffer;
  tokenTtlMs?: number;
  now?: () => number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

type Access =
  | { ok: true; cluster: LiveCluster; ip: string; prefix: string }
  /** A cookie of an allowed viewer on our own origin, but no (valid) capability: redirect to one. */
  | { ok: 'issue'; prefix: string }
  | { ok: false; status: number; title: string; text: string };

function prefixOf(t: Port, token: string | null): string {
  return previewPath(t.clusterId, t.node, t.port).slice(0, -1) + (token ? `~${token}` : '');
}

/**
 * The session cookie only counts on a request made by our own origin (the port badge, the address
 * bar): not from a preview's opaque origin or another site, even if a browser sent a cookie along.
 */
function fromOurOrigin(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // `null`: a sandboxed document
  }
}

function authorize(req: http.IncomingMessage, target: PreviewTarget, deps: PreviewDeps): Access {
  const secret = deps.tokenSecret ?? processSecret;
  const now = (deps.now ?? Date.now)();
  const owner = deps.sessions.ownerOfCluster(target.clusterId);
  const node = owner?.cluster?.node(target.node);
  if (target.token && owner?.cluster && node && tokenValid(secret, owner.id, target, target.token, now)) {
    return { ok: true, cluster: owner.cluster, ip: node.ip, prefix: prefixOf(target, target.token) };
  }
  const viewer = fromOurOrigin(req) ? deps.sessionOf(req) : undefined;
  if (!viewer) {
    return target.token
      ? { ok: false, status: 401, title: 'This preview link has expired', text: 'Preview links work for a limited time and only while the cluster they belong to runs. Open the port again from your workbench.' }
      : { ok: false, status: 401, title: 'No sandbox session', text: 'Open this preview from your workbench (the session cookie is missing or expired).' };
  }
  if (!owner?.cluster) {
    return { ok: false, status: 404, title: 'This cluster is gone', text: 'The cluster this link points to was reset or has expired. Open the port again from your workbench.' };
  }
  if (!previewAllowed(viewer, owner)) return { ok: false, status: 403, title: 'Not your cluster', text: 'Only the learner who owns this cluster can open its ports.' };
  if (!node) return { ok: false, status: 404, title: 'No such node', text: `There is no node "${target.node}" in this cluster.` };
  const token = mintToken(secret, owner.id, target, now + (deps.tokenTtlMs ?? TOKEN_TTL_MS));
  return { ok: 'issue', prefix: prefixOf(target, token) };
}

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

const CORS_FOR_OPAQUE = { 'Access-Control-Allow-Origin': 'null', 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } as const;

/** Headers of the app that would act on our whole origin rather than on this document. */
const DROPPED = new Set([
  'set-cookie',
  'set-cookie2',
  'clear-site-data',
  'strict-transport-security',
  'alt-svc',
  'nel',
  'report-to',
  'reporting-endpoints',
  'origin-agent-cluster',
  'service-worker-allowed',
  'accept-ch',
  'critical-ch',
  // ours replace them
  'referrer-policy',
  'x-content-type-options',
]);

/** The app's response headers as the browser gets them: see the file comment. */
export function responseHeaders(
  up: http.IncomingHttpHeaders,
  o: { prefix: string; ip: string; target: { node: string; port: number }; opaqueOrigin: boolean },
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(up)) {
    if (value === undefined || HOP_BY_HOP.has(name) || DROPPED.has(name)) continue;
    if (o.opaqueOrigin && name.startsWith('access-control-')) continue;
    headers[name] = name === 'location' && typeof value === 'string' ? rewriteLocation(value, o.prefix, o.ip, o.target) : value;
  }
  // Two header lines: the app's policies (if any; Node joins repeated lines with commas, which CSP
  // reads as separate policies) and ours. Every policy is enforced, so the sandbox always holds.
  const csp = headers['content-security-policy'];
  (headers as Record<string, string[]>)['content-security-policy'] = [...(csp === undefined ? [] : [csp].flat().map(String)), PREVIEW_CSP];
  headers['x-content-type-options'] = SECURITY_HEADERS['X-Content-Type-Options'];
  headers['referrer-policy'] = SECURITY_HEADERS['Referrer-Policy'];
  if (o.opaqueOrigin) {
    headers['access-control-allow-origin'] = CORS_FOR_OPAQUE['Access-Control-Allow-Origin'];
    headers['access-control-allow-credentials'] = CORS_FOR_OPAQUE['Access-Control-Allow-Credentials'];
    const exposed = Object.keys(headers).filter((h) => !h.startsWith('access-control-'));
    if (exposed.length) headers['access-control-expose-headers'] = exposed.join(', ');
    const vary = headers.vary === undefined ? [] : [headers.vary].flat().map(String);
    headers.vary = [...vary, 'Origin'].join(', ');
  }
  return headers;
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
      res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
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

function forwardHeaders(req: http.IncomingMessage, prefix: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  // The learner's app never sees a cookie of ours (the session, an instructor's key, ...): its own
  // Set-Cookie headers are dropped, so every cookie a browser sends here belongs to the workbench.
  delete out.cookie;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  out['x-forwarded-prefix'] = prefix;
  out['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return out;
}

/** Redirects to `/x` or to the node itself stay inside the preview; others are left alone. */
export function rewriteLocation(location: string, prefix: string, ip: string, target: { node: string; port: number }): string {
  if (location.startsWith('/') && !location.startsWith('//')) return prefix + location;
  try {
    const u = new URL(location);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const local = [ip, target.node, 'localhost', '127.0.0.1', '0.0.0.0'].includes(u.hostname);
    if (local && port === target.port) return prefix + u.pathname + u.search + u.hash;
  } catch {
    // not an absolute URL: relative to the current path, which is already inside the prefix
  }
  return location;
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

/**
 * WebSocket (and other Upgrade) requests to a preview: only on a capability address (a preview page
 * opens its sockets relative to its own address, from its opaque origin), then raw bytes both ways.
 */
export function handlePreviewUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, deps: PreviewDeps): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  const target = parsePreviewPath(url.pathname);
  if (!target) return false;
  const access = target.path === null || !target.token ? null : authorize(req, target, deps);
  if (access?.ok !== true) {
    const status = access?.ok === false ? access.status : 401;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return true;
  }
  const upstream = net.connect({ host: access.ip, port: target.port });
  const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), deps.connectTimeoutMs ?? 2_500);
  upstream.once('connect', () => {
    clearTimeout(timer);
    const headers = forwardHeaders(req, access.prefix);
    const lines = [`${req.method} ${target.path}${url.search} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
    lines.push(`connection: Upgrade`, `upgrade: ${req.headers.upgrade ?? 'websocket'}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const close = () => {
    clearTimeout(timer);
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
  socket.on('close', close);
  upstream.on('close', close);
  return true;
}
