/**
 * WebSocket upgrades to a preview: a tunnel of raw bytes to the learner's app, opened only when the
 * app really switched to WebSocket.
 *
 * Why not pipe at once: whatever the app answers would then flow to the client, and anything after
 * the request head (a second, pipelined request) would reach the app on the same connection. Behind
 * a connection-reusing reverse proxy an app that answers `200` to an upgrade keeps the pooled
 * connection and gets the next visitor's request. So: only `Upgrade: websocket` is forwarded; the
 * app's answer head is read (bounded in size and time) and checked; only a `101` with
 * `Upgrade: websocket` opens the tunnel, with the head rebuilt through the preview header policy
 * (no Set-Cookie on our origin from a handshake either). Anything else: an error answer with
 * `Connection: close`, and both sockets are destroyed.
 *
 * A tunnel with no bytes either way for TUNNEL_IDLE_MS is closed, and one session (the cluster's
 * owner) holds at most MAX_TUNNELS_PER_SESSION at once.
 */
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from '../http/errors.ts';
import { authorize, parsePreviewPath, type PreviewAccessDeps } from './capability.ts';
import { forwardHeaders, responseHeaders } from './headers.ts';

/** The app's answer head may be this long at most (request heads of browsers are far shorter). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Time the app has, once connected, to answer the upgrade. */
export const HEAD_TIMEOUT_MS = 10_000;
/** A tunnel that carried no byte either way for this long is closed. */
export const TUNNEL_IDLE_MS = 10 * 60_000;
/** Preview WebSockets one session holds at once (a page of a learner's app opens a few). */
export const MAX_TUNNELS_PER_SESSION = 16;

/** Open tunnels per owning session. Session ids are random, so servers in one process never collide. */
const open = new Map<string, number>();

export interface TunnelOptions {
  headTimeoutMs?: number;
  idleMs?: number;
  maxPerSession?: number;
}

/**
 * What an upgrade needs: who may open the preview, and time limits. Declared here, below proxy.ts
 * (whose PreviewDeps extends it and which re-exports handlePreviewUpgrade), so the two files do not
 * import each other.
 */
export interface TunnelDeps extends PreviewAccessDeps {
  connectTimeoutMs?: number;
  /** Limits of WebSocket tunnels (tests; defaults above). */
  tunnels?: TunnelOptions;
}

/** The app's answer head: status, headers (lowercase names, repeated ones as for Node), and bytes after it. */
export interface ResponseHead {
  status: number;
  headers: http.IncomingHttpHeaders;
  rest: Buffer;
}

/**
 * Parses an HTTP/1.x response head. 'incomplete' until the blank line arrives; 'invalid' for
 * anything we would not relay (bad status line, control characters, folded or nameless headers).
 */
export function parseResponseHead(buf: Buffer): ResponseHead | 'incomplete' | 'invalid' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return 'incomplete';
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: [\t\x20-\x7e\x80-\xff]*)?$/.exec(lines[0]!);
  if (!status) return 'invalid';
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*$/.exec(line);
    if (!m) return 'invalid';
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    const prev = headers[name];
    if (name === 'set-cookie') headers[name] = [...((prev as string[] | undefined) ?? []), value];
    else headers[name] = prev === undefined ? value : `${String(prev)}, ${value}`;
  }
  return { status: Number(status[1]), headers, rest: buf.subarray(end + 4) };
}

/** Whether a request or response asks for (or agreed to) WebSocket, and nothing else. */
const isWebSocket = (upgrade: string | string[] | undefined) => typeof upgrade === 'string' && upgrade.trim().toLowerCase() === 'websocket';

/** An error answer to a client whose upgrade is not tunnelled, then both sockets go (the router's one refusal, marked as the preview's). */
const refuse = (socket: Duplex, status: number, text: string) => refuseUpgrade(socket, status, text, { 'X-Swb-Preview': 'error' });

/**
 * Upgrade requests to a preview: only on a capability address (a preview page opens its sockets
 * relative to its own address, from its opaque origin), only WebSocket, then see the file comment.
 */
export function handlePreviewUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, deps: TunnelDeps): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  const target = parsePreviewPath(url.pathname);
  if (!target) return false;
  const access = target.path === null || !target.token ? null : authorize(req, target, deps);
  if (access?.ok !== true) {
    const status = access?.ok === false ? access.status : 401;
    refuse(socket, status, access?.ok === false ? access.title : 'Preview WebSockets need the preview address that the port badge opens.');
    return true;
  }
  if (!isWebSocket(req.headers.upgrade)) {
    refuse(socket, 400, `Port previews carry WebSocket upgrades only (not "${String(req.headers.upgrade).slice(0, 40)}").`);
    return true;
  }
  const max = deps.tunnels?.maxPerSession ?? MAX_TUNNELS_PER_SESSION;
  const count = open.get(access.owner) ?? 0;
  if (count >= max) {
    refuse(socket, 429, `This cluster's previews already have ${max} WebSockets open (the most allowed): close some preview tabs.`);
    return true;
  }
  open.set(access.owner, count + 1);
  const where = `${target.node}:${target.port}`;

  socket.pause(); // nothing of the client reaches the app before it switched protocols
  const upstream = net.connect({ host: access.ip, port: target.port });
  let done = false;
  let tunnelled = false;
  /** Ends the attempt or the tunnel once: the error answer (before the tunnel), both sockets, the count. */
  const finish = (status?: number, text?: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    const left = (open.get(access.owner) ?? 1) - 1;
    if (left > 0) open.set(access.owner, left);
    else open.delete(access.owner);
    upstream.destroy();
    if (status && text && !tunnelled) refuse(socket, status, text);
    else socket.destroy();
  };
  let timer = setTimeout(() => finish(502, `Nothing answers on ${where}.`), deps.connectTimeoutMs ?? 2_500);

  upstream.once('connect', () => {
    clearTimeout(timer);
    timer = setTimeout(() => finish(504, `${where} did not answer the WebSocket request in time.`), deps.tunnels?.headTimeoutMs ?? HEAD_TIMEOUT_MS);
    const headers = forwardHeaders(req, access.prefix);
    const lines = [`${req.method} ${target.path}${url.search} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
    lines.push('connection: Upgrade', 'upgrade: websocket');
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
  });

  let got = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    got = Buffer.concat([got, chunk]);
    const parsed = parseResponseHead(got);
    if (parsed === 'incomplete') {
      if (got.length > MAX_HEAD_BYTES) finish(502, `${where} sent an over-long answer to the WebSocket request.`);
      return;
    }
    upstream.off('data', onHead);
    if (parsed === 'invalid' || got.length - parsed.rest.length > MAX_HEAD_BYTES) return finish(502, `${where} did not answer the WebSocket request with valid HTTP.`);
    if (parsed.status !== 101 || !isWebSocket(parsed.headers.upgrade)) {
      return finish(502, `${where} did not switch to WebSocket (it answered HTTP ${parsed.status}), so no connection to it was kept.`);
    }
    clearTimeout(timer);
    tunnelled = true;
    upstream.pause();
    const out = responseHeaders(parsed.headers, { prefix: access.prefix, ip: access.ip, target, opaqueOrigin: false });
    const reply = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'];
    for (const [name, value] of Object.entries(out)) for (const v of [value ?? []].flat()) reply.push(`${name}: ${v}`);
    socket.write(reply.join('\r\n') + '\r\n\r\n');
    if (parsed.rest.length) socket.write(parsed.rest);
    if (head.length) upstream.write(head);
    // Both directions pass through the client socket, so its timeout sees every byte either way.
    (socket as net.Socket).setTimeout(deps.tunnels?.idleMs ?? TUNNEL_IDLE_MS, () => finish());
    upstream.pipe(socket);
    socket.pipe(upstream);
  };
  upstream.on('data', onHead);
  upstream.on('error', () => finish(502, `Nothing answers on ${where}.`));
  upstream.on('close', () => finish(502, `${where} closed the connection without answering the WebSocket request.`));
  socket.on('error', () => finish());
  socket.on('close', () => finish());
  return true;
}

/** Tunnels open now for this session (tests). */
export function openTunnels(owner: string): number {
  return open.get(owner) ?? 0;
}
