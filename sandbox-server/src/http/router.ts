/**
 * The one door for HTTP requests and upgrades: a table of routes, each a method and path pattern
 * with its declared guards and a handler. Under the prefix every request and upgrade passes the same
 * guards in the same order (the Host name, the origin, who the route admits, then its body) and what
 * no route takes is a 404; everything refused or failed leaves through errors.ts. Routes outside the
 * prefix (an old page link) are matched exactly and pass no guards; anything else is not ours.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeCodes } from '@contract/protocol.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { HttpError, refuseUpgrade, sendError, SocketRefusal, statusOf, type StatusOf } from './errors.ts';
import { hostAllowed, hostRefusal, readBody, sameOrigin, type HttpPolicy } from './request.ts';

export type Params = Record<string, string>;
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

/** Who may call a route: the caller (a session, a workshop) or a throw (HttpError, or a domain error with a StatusOf). */
export type Who<W> = (req: http.IncomingMessage, params: Params) => W;

interface Pattern {
  /** `/a/:name/b`: `:name` is one segment; a final `*` is the rest of the path (params['*']). Values arrive decoded. */
  path: string;
  /** A param failing its test makes the path not this route's (the next route, finally a 404). */
  params?: Record<string, (raw: string) => boolean>;
  /** An opaque origin (`Origin: null`) may use this route when this says so (a port preview's capability address). */
  opaqueOrigin?: (req: http.IncomingMessage) => boolean;
}

export interface RouteContext<W> {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  params: Params;
  who: W;
  /** The body, read up to the declared size (empty when the route declares none). */
  body: Buffer;
  /** The body as a JSON object when declared `json` (an empty body is `{}`; anything else is a 400). */
  json: unknown;
}

export interface Route<W = unknown> extends Pattern {
  /** `*`: any method (the port preview passes every method on to the learner's app). */
  method: Method | readonly Method[] | '*';
  /** Only requests this accepts are the route's (e.g. a query parameter that must be there). */
  when?: (url: URL) => boolean;
  who?: Who<W>;
  body?: { maxBytes: number; json?: boolean };
  handle(ctx: RouteContext<W>): void | Promise<void>;
}

/** A WebSocket. Refusals before the handshake (Host, origin, `who`) are statuses; after it, close codes. */
export interface SocketRoute<W = unknown> extends Pattern {
  who?: Who<W>;
  /** Frames above this close the socket with 1009. */
  maxPayload: number;
  /** The handshake is done: serve the socket, or throw SocketRefusal to close it with a code the page understands. */
  open(ws: WebSocket, ctx: { req: http.IncomingMessage; params: Params; who: W }): void;
}

/** An upgrade handed over as raw bytes (the port preview's tunnel); it returns false for an address it does not serve (404). */
export interface TunnelRoute extends Pattern {
  tunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export type Upgrade = SocketRoute | TunnelRoute;

/** Typed helpers: the table holds routes of several callers (`who`), each handler sees its own. */
export const route = <W>(r: Route<W>): Route => r as Route;
export const socketRoute = <W>(r: SocketRoute<W>): Upgrade => r as SocketRoute;

/** What the server asks of the router: is this request or upgrade ours (then it is answered), and stop. */
export interface HttpRoutes {
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Every open socket is told the server restarts (closeCodes.serverRestart). */
  close(): void;
}

export interface RouterOptions {
  /** The door (`/sandbox`): under it, Host and origin are checked and unknown paths get a 404. */
  prefix: string;
  policy: HttpPolicy;
  log: Logger;
  routes: readonly Route[];
  upgrades: readonly Upgrade[];
  /** The statuses of features' own errors. */
  statusOf?: readonly StatusOf[];
}

export function createRouter(opts: RouterOptions): HttpRoutes {
  const { prefix, policy, log } = opts;
  const servers = new Map<number, WebSocketServer>();
  const wss = (maxPayload: number) => {
    let server = servers.get(maxPayload);
    if (!server) servers.set(maxPayload, (server = new WebSocketServer({ noServer: true, maxPayload })));
    return server;
  };
  const inside = (url: URL) => url.pathname.startsWith(`${prefix}/`);

  /** The guards of the door, before any route runs: the Host name (DNS rebinding), then the origin (cookies ride cross-site). */
  const door = (req: http.IncomingMessage, pattern: Pattern | undefined) => {
    if (!hostAllowed(req, policy)) throw new HttpError(403, hostRefusal(req, policy));
    if (!sameOrigin(req, pattern?.opaqueOrigin?.(req) ?? false)) throw new HttpError(403, 'cross-origin requests to the sandbox are refused');
  };
  const failed = (url: URL, err: unknown) => {
    const status = statusOf(err, opts.statusOf);
    if (status === 500) log.error('sandbox request failed', { path: logPath(url), error: errorMessage(err) });
    return status;
  };

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL, found: Found<Route> | undefined): Promise<void> {
    if (inside(url)) door(req, found?.route);
    if (!found) throw new HttpError(404, `no sandbox route ${req.method ?? 'GET'} ${url.pathname}`);
    const { route, raw } = found;
    const params = decode(raw);
    const who = route.who?.(req, params);
    const body = route.body ? await readBody(req, route.body.maxBytes) : Buffer.alloc(0);
    await route.handle({ req, res, url, params, who, body, json: route.body?.json ? parseJson(body) : undefined });
  }

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL, found: Found<Upgrade> | undefined): void {
    if (inside(url)) door(req, found?.route);
    if (!found) throw new HttpError(404, 'no socket at this address');
    const { route } = found;
    if ('tunnel' in route) return void (route.tunnel(req, socket, head) || refuseUpgrade(socket, 404));
    const params = decode(found.raw);
    const who = route.who?.(req, params);
    wss(route.maxPayload).handleUpgrade(req, socket, head, (ws) => {
      try {
        route.open(ws, { req, params, who });
      } catch (err) {
        if (err instanceof SocketRefusal) return ws.close(err.code, err.reason);
        log.error('socket failed to open', { path: logPath(url), error: errorMessage(err) });
        ws.close(1011, 'the server failed to open this socket');
      }
    });
  }

  return {
    handleRequest(req, res) {
      const url = new URL(req.url ?? '/', 'http://local');
      const method = req.method ?? 'GET';
      const found = find(opts.routes, url, (r) => (r.method === '*' || [r.method].flat().includes(method as Method)) && (!r.when || r.when(url)));
      if (!found && !inside(url)) return false;
      serve(req, res, url, found).catch((err) => sendError(res, err, failed(url, err)));
      return true;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://local');
      const found = find(opts.upgrades, url);
      if (!found && !inside(url)) return false;
      try {
        upgrade(req, socket, head, url, found);
      } catch (err) {
        refuseUpgrade(socket, failed(url, err));
      }
      return true;
    },

    close() {
      for (const server of servers.values()) {
        for (const client of server.clients) client.close(closeCodes.serverRestart, 'server restarting');
        server.close();
      }
    },
  };
}

/** A preview's capability token (`<port>~<token>`) is a secret: it never reaches the log. */
const logPath = (url: URL) => url.pathname.replace(/~[^/]*/, '~…');

interface Found<R> {
  route: R;
  raw: Params;
}

function find<R extends Pattern>(routes: readonly R[], url: URL, accepts: (r: R) => boolean = () => true): Found<R> | undefined {
  for (const route of routes) {
    const raw = matchPath(route.path, url.pathname);
    if (raw && accepts(route) && Object.entries(route.params ?? {}).every(([name, ok]) => ok(raw[name] ?? ''))) return { route, raw };
  }
  return undefined;
}

/** The raw (still encoded) params when `pathname` fits `pattern`; one trailing slash is ignored unless the pattern ends in `*`. */
export function matchPath(pattern: string, pathname: string): Params | null {
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.at(-1) !== '*' && got.length > 2 && got.at(-1) === '') got.pop();
  const params: Params = {};
  for (const [i, seg] of want.entries()) {
    if (seg === '*' && i === want.length - 1) {
      const rest = got.slice(i).join('/');
      if (!rest) return null;
      params['*'] = rest;
      return params;
    }
    const part = got[i];
    if (part === undefined) return null;
    if (seg.startsWith(':')) {
      if (!part) return null;
      params[seg.slice(1)] = part;
    } else if (seg !== part) return null;
  }
  return got.length === want.length ? params : null;
}

function decode(raw: Params): Params {
  try {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, decodeURIComponent(v)]));
  } catch {
    throw new HttpError(400, 'the address is not valid percent-encoding');
  }
}

function parseJson(body: Buffer): unknown {
  if (!body.length) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body must be JSON');
  }
  // Every body here is an object of named fields: `null` or `42` would only fail later, as a 500.
  if (typeof value !== 'object' || value === null) throw new HttpError(400, 'the body must be a JSON object');
  return value;
}
