/**
 * The sandbox's HTTP surface (all under /sandbox, so it can share a port with
 * the web app) and the WebSocket upgrade. Every route answers JSON errors that
 * say what went wrong and what to do.
 */
import type http from 'node:http';
import { WebSocketServer } from 'ws';
import { LAB_DIR, MAX_FILE_BYTES, SANDBOX_PREFIX, SESSION_COOKIE, closeCodes, labPath, paths, type SessionResponse } from '../../../contract/protocol.ts';
import { labArchive, listNodeFiles, putLabFiles, readNodeFile } from '../files/labfiles.ts';
import { handlePreview, handlePreviewUpgrade, type PreviewDeps } from '../preview/proxy.ts';
import type { CheckService } from '../checks/checker.ts';
import { ClaimRefused } from '../sessions/admission.ts';
import { NotClaimed, type LearnerSession, type SessionManager } from '../sessions/manager.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { BrowserConnection, refuseOverSocketCap, type ConnectionOptions } from './connection.ts';
import { RateLimit } from './rate-limit.ts';
import { clientAddress, clientNetwork, cookie, hostAllowed, hostRefusal, HttpError, json, readBody, readCookie, sameOrigin, type HttpPolicy, type HttpRoutes } from './request.ts';

/** Above what any protocol frame needs; bigger frames close the socket with 1009. */
const WS_MAX_PAYLOAD = 1024 * 1024;
/** New sessions per network come back at SWB_NEW_SESSIONS_PER_NETWORK per this period (see RateLimit). */
const NEW_SESSIONS_PERIOD_MS = 10 * 60_000;

export interface SandboxHttpDeps {
  sessions: SessionManager;
  checks: CheckService;
  maxAgeSeconds: number;
  health: () => object;
  log: Logger;
  /** Why this learner may not reset their own cluster (e.g. a workshop that leaves it to the instructor), or null. */
  resetRefusal?: (session: LearnerSession) => string | null;
  /** Heartbeat and queue limits of learner sockets (SWB_WS_PING_S). */
  connection?: ConnectionOptions;
  /** Host names answered, cookie attributes, trusted proxies. */
  policy: HttpPolicy;
  /** SWB_NEW_SESSIONS_PER_NETWORK: sessions one network may start at once (default 30). */
  newSessionsPerNetwork?: number;
}

export function createSandboxHttp(deps: SandboxHttpDeps): HttpRoutes {
  const { sessions, log } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  // Every session costs a row of memory that admission and health scan: a stranger's flood of
  // cookie-less page views must not grow that without bound (a workshop join is not counted here).
  const newSessions = new RateLimit(deps.newSessionsPerNetwork ?? 30, NEW_SESSIONS_PERIOD_MS);

  const sessionOf = (req: http.IncomingMessage) => sessions.resolve(readCookie(req, SESSION_COOKIE));
  const requireSession = (req: http.IncomingMessage): LearnerSession => {
    const session = sessionOf(req);
    if (!session) throw new HttpError(401, 'No sandbox session: reload the page to start one.');
    return session;
  };
  const preview: PreviewDeps = { sessions, sessionOf, log: log.child({ part: 'preview' }) };
  const requireCluster = async (req: http.IncomingMessage, claim = false) => {
    const session = requireSession(req);
    let cluster;
    try {
      cluster = await (claim ? claimFor(req, session) : sessions.ensureCluster(session));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof NotClaimed) throw new HttpError(409, 'Your sandbox is not started yet: click in the terminal or press Start.');
    }
    if (!cluster) throw new HttpError(503, session.info.progress ?? 'Your cluster is not running: press Reset cluster.');
    return cluster;
  };
  /** The learner acted: claim within the admission rules; a refusal becomes 429/403 with Retry-After. */
  const claimFor = (req: http.IncomingMessage, session: LearnerSession) => {
    try {
      return sessions.claimCluster(session, clientAddress(req, deps.policy));
    } catch (err) {
      if (err instanceof ClaimRefused) throw new HttpError(err.status, err.message, err.retryAfterSeconds);
      throw err;
    }
  };

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (url.pathname === paths.health && method === 'GET') return json(res, 200, { ok: true, ...deps.health() });

    // A session (cookie) only: a page view never takes a cluster (see paths.claim).
    if (url.pathname === paths.session && method === 'POST') {
      let session = sessionOf(req);
      if (!session) {
        const wait = newSessions.hit(clientNetwork(req, deps.policy));
        if (wait) throw new HttpError(429, `Too many new sessions from your network; try again in ${wait} s.`, wait);
        const created = sessions.create();
        session = created.session;
        res.setHeader('Set-Cookie', cookie(deps.policy, SESSION_COOKIE, created.token, { maxAgeSeconds: deps.maxAgeSeconds }));
      }
      const body: SessionResponse = { cluster: session.info };
      return json(res, 200, body);
    }

    if (url.pathname === paths.claim && method === 'POST') {
      const session = requireSession(req);
      claimFor(req, session).catch(() => undefined); // progress and failures reach the page through session.info
      const body: SessionResponse = { cluster: session.info };
      return json(res, 202, body);
    }

    if (url.pathname === paths.reset && method === 'POST') {
      const session = requireSession(req);
      if (!session.claimed && !session.cluster) throw new HttpError(409, 'Your sandbox is not started yet: there is nothing to reset.');
      const refusal = deps.resetRefusal?.(session);
      if (refusal) throw new HttpError(403, refusal);
      void sessions.reset(session).catch((err) => log.error('reset failed', { error: errorMessage(err) }));
      return json(res, 202, { ok: true });
    }

    if (url.pathname === paths.files && method === 'GET') {
      const cluster = await requireCluster(req);
      return json(res, 200, { files: await listNodeFiles(cluster.container('manager')!) });
    }

    if (url.pathname.startsWith(`${paths.files}/`)) {
      const rel = labPath.safeParse(decodeURIComponent(url.pathname.slice(paths.files.length + 1)));
      if (!rel.success) throw new HttpError(400, rel.error.issues[0]?.message ?? 'bad path');
      // Saving a file is an action: it may claim; reading one never does.
      const cluster = await requireCluster(req, method === 'PUT');
      if (method === 'GET') {
        const content = await readNodeFile(cluster.container('manager')!, rel.data);
        if (!content) throw new HttpError(404, `${LAB_DIR}/${rel.data} does not exist on the manager (was it deleted? save it again from the editor)`);
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        return void res.end(content);
      }
      if (method === 'PUT') {
        const session = requireSession(req);
        const body = await readBody(req, MAX_FILE_BYTES);
        const archive = await labArchive([{ path: rel.data, content: body }]);
        // Every node gets the file, so a bind mount works wherever a task lands.
        await Promise.all(cluster.cluster.nodes.map((n) => putLabFiles(cluster.container(n.name)!, archive)));
        deps.checks.nudge(session.id, 'file saved'); // no Docker event announces a saved file
        return json(res, 200, { ok: true, path: rel.data, bytes: body.length, nodes: cluster.cluster.nodes.length });
      }
    }
    if (url.pathname.startsWith(`${paths.preview}/`)) return handlePreview(req, res, url, preview);
    throw new HttpError(404, `no sandbox route ${method} ${url.pathname}`);
  }

  return {
    handleRequest(req, res) {
      const url = new URL(req.url ?? '/', 'http://local');
      if (!url.pathname.startsWith(`${SANDBOX_PREFIX}/`)) return false;
      if (!hostAllowed(req, deps.policy)) {
        json(res, 403, { error: hostRefusal(req, deps.policy) });
        return true;
      }
      if (!sameOrigin(req)) {
        json(res, 403, { error: 'cross-origin requests to the sandbox are refused' });
        return true;
      }
      route(req, res, url).catch((err) => {
        const status = err instanceof HttpError ? err.status : 500;
        // A preview's capability token (`<port>~<token>`) is a secret: it never reaches the log.
        if (status === 500) log.error('sandbox request failed', { path: url.pathname.replace(/~[^/]*/, '~…'), error: errorMessage(err) });
        const retry = err instanceof HttpError && err.retryAfter ? { 'Retry-After': String(err.retryAfter) } : undefined;
        if (!res.headersSent) json(res, status, { error: describeError(err) }, retry);
        else res.end();
      });
      return true;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://local');
      if (url.pathname.startsWith(`${SANDBOX_PREFIX}/`) && !hostAllowed(req, deps.policy)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      if (url.pathname.startsWith(`${paths.preview}/`)) {
        if (sameOrigin(req)) return handlePreviewUpgrade(req, socket, head, preview);
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return true;
      }
      if (url.pathname !== paths.ws) return false;
      if (!sameOrigin(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const session = sessionOf(req);
        if (!session) return ws.close(closeCodes.noSession, 'no session: reload the page');
        if (session.info.status === 'expired') return ws.close(closeCodes.sessionExpired, 'session expired');
        if (refuseOverSocketCap(ws, session)) return;
        new BrowserConnection(ws, session, sessions, deps.checks, log.child({ session: session.id.slice(0, 8) }), deps.connection);
      });
      return true;
    },

    close() {
      for (const client of wss.clients) client.close(closeCodes.serverRestart, 'server restarting');
      wss.close();
    },
  };
}

/** Engine errors in words an operator or learner can act on. */
export function describeError(err: unknown): string {
  const msg = errorMessage(err);
  if (/ECONNREFUSED|ENOENT.*docker\.sock|socket hang up/.test(msg)) {
    return 'The Docker Engine behind the sandbox is not answering. Ask the operator to check it (npm run doctor); your work will be there when it is back if the node survived.';
  }
  if (/no such container|404/i.test(msg)) return 'Your cluster is gone (a node was removed). Press Reset cluster for a fresh one.';
  return msg;
}
