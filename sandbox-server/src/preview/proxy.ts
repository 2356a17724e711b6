/**
 * Port preview: `/sandbox/preview/<clusterId>/<node>/<port>/<path>` is an HTTP reverse proxy from
 * this server to <node ip>:<port>, so a learner opens the app they published (the Flask app on
 * 5000, the visualizer on 8080) in their browser although the nodes sit on a private network.
 *
 * Streaming both ways, bodies untouched; only redirects that point at the node are rewritten to
 * stay under the prefix. Only the cluster's owner may open it. When nothing answers, a short
 * connect timeout ends in a page that says why (on a host without IPVS: an ingress-published port).
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { SESSION_COOKIE, nodeName, paths, previewPath, type PublishedPortView } from '../protocol/index.js';
import type { LiveCluster } from '../clusters/live.js';
import type { LearnerSession, SessionManager } from '../sessions/manager.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../log.js';

export interface PreviewTarget {
  clusterId: string;
  node: string;
  port: number;
  /** Path on the node, starting with `/`; null when the URL lacks the slash after the port. */
  path: string | null;
}

/** `/sandbox/preview/<clusterId>/<node>/<port>[/<rest>]`, or null when the path is not one. */
export function parsePreviewPath(pathname: string): PreviewTarget | null {
  const prefix = `${paths.preview}/`;
  if (!pathname.startsWith(prefix)) return null;
  const m = /^([0-9a-f]{6,32})\/([^/]+)\/([0-9]{1,5})(\/.*)?$/.exec(pathname.slice(prefix.length));
  if (!m || !nodeName.safeParse(m[2]).success) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { clusterId: m[1]!, node: m[2]!, port, path: m[4] ?? null };
}

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
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

type Access = { ok: true; cluster: LiveCluster; ip: string; prefix: string } | { ok: false; status: number; title: string; text: string };

function authorize(req: http.IncomingMessage, target: PreviewTarget, deps: PreviewDeps): Access {
  const viewer = deps.sessionOf(req);
  if (!viewer) return { ok: false, status: 401, title: 'No sandbox session', text: 'Open this preview from your workbench (the session cookie is missing or expired).' };
  const owner = deps.sessions.ownerOfCluster(target.clusterId);
  if (!owner?.cluster) {
    return { ok: false, status: 404, title: 'This cluster is gone', text: 'The cluster this link points to was reset or has expired. Open the port again from your workbench.' };
  }
  if (!previewAllowed(viewer, owner)) return { ok: false, status: 403, title: 'Not your cluster', text: 'Only the learner who owns this cluster can open its ports.' };
  const node = owner.cluster.node(target.node);
  if (!node) return { ok: false, status: 404, title: 'No such node', text: `There is no node "${target.node}" in this cluster.` };
  return { ok: true, cluster: owner.cluster, ip: node.ip, prefix: previewPath(target.clusterId, target.node, target.port).slice(0, -1) };
}

export async function handlePreview(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deps: PreviewDeps): Promise<void> {
  const target = parsePreviewPath(url.pathname);
  if (!target) return page(res, 404, 'Not a preview address', `Preview addresses look like ${paths.preview}/<cluster>/<node>/<port>/.`);
  if (target.path === null) {
    // Relative links in the app's pages resolve against the directory: make it one.
    res.writeHead(308, { Location: `${url.pathname}/${url.search}`, 'Cache-Control': 'no-store' });
    return void res.end();
  }
  const access = authorize(req, target, deps);
  if (!access.ok) {
    req.resume();
    return page(res, access.status, access.title, access.text);
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
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(up.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name)) continue;
        headers[name] = name === 'location' && typeof value === 'string' ? rewriteLocation(value, access.prefix, access.ip, target) : value;
      }
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
  // The learner's app never sees the workbench session.
  const cookie = stripCookie(req.headers.cookie, SESSION_COOKIE);
  if (cookie) out.cookie = cookie;
  else delete out.cookie;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  out['x-forwarded-prefix'] = prefix;
  out['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return out;
}

export function stripCookie(header: string | undefined, name: string): string {
  return (header ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && p.split('=')[0] !== name)
    .join('; ');
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
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Swb-Preview': 'error' });
  res.end(body);
}

/** WebSocket (and other Upgrade) requests to a preview: same checks, then raw bytes both ways. */
export function handlePreviewUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, deps: PreviewDeps): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  const target = parsePreviewPath(url.pathname);
  if (!target) return false;
  const access = target.path === null ? null : authorize(req, target, deps);
  if (!access?.ok) {
    const status = access ? access.status : 404;
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
