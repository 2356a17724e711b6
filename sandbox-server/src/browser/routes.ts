/**
 * The learner's sandbox routes (all under /sandbox, so it can share a port with the web app) and
 * the terminal socket, as one table for the router (http/router.ts): the door's guards, the error
 * envelope and the close codes live there; each route here says who it admits and what it does.
 *
 * Why a folder `browser/`: it holds what a learner's browser talks to, this route table and the
 * one WebSocket per tab (connection.ts), wired to sessions, terminals, checks, files and preview.
 * `http/` below it is the generic HTTP layer only (router, request guards, error envelope, rate
 * limit) and knows none of those, so preview/ and workshops/ can build on it without a circle.
 */
import type http from 'node:http';
import { LAB_DIR, MAX_FILE_BYTES, SESSION_COOKIE, closeCodes, labPath, paths, type SessionResponse } from '@contract/protocol.ts';
import { labArchive, listNodeFiles, putLabFiles, readNodeFile } from '../files/labfiles.ts';
import { isPreviewCapabilityUrl } from '../preview/capability.ts';
import { handlePreview, handlePreviewUpgrade, type PreviewDeps } from '../preview/proxy.ts';
import type { CheckService } from '../checks/checker.ts';
import { ClaimRefused } from '../sessions/admission.ts';
import { NotClaimed, type LearnerSession, type SessionManager } from '../sessions/manager.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { BrowserConnection, checkSocketCap, type ConnectionOptions } from './connection.ts';
import { HttpError, describeError, json, SocketRefusal } from '../http/errors.ts';
import { RateLimit } from '../http/rate-limit.ts';
import { clientAddress, clientNetwork, cookie, readCookie, type HttpPolicy } from '../http/request.ts';
import { route, socketRoute, type Route, type Upgrade } from '../http/router.ts';

/** Above what any protocol frame needs; bigger frames close the socket with 1009. */
const WS_MAX_PAYLOAD = 1024 * 1024;
/** New sessions per network come back at SWB_NEW_SESSIONS_PER_NETWORK per this period (see RateLimit). */
const NEW_SESSIONS_PERIOD_MS = 10 * 60_000;

export interface SandboxRouteDeps {
  sessions: SessionManager;
  checks: CheckService;
  maxAgeSeconds: number;
  health: () => object;
  log: Logger;
  /** Why this learner may not reset their own cluster (e.g. a workshop that leaves it to the instructor), or null. */
  resetRefusal?: (session: LearnerSession) => string | null;
  /** Heartbeat and queue limits of learner sockets (SWB_WS_PING_S). */
  connection?: ConnectionOptions;
  /** Cookie attributes, trusted proxies. */
  policy: HttpPolicy;
  /** SWB_NEW_SESSIONS_PER_NETWORK: sessions one network may start at once (default 30). */
  newSessionsPerNetwork?: number;
}

export function sandboxRoutes(deps: SandboxRouteDeps): { routes: Route[]; upgrades: Upgrade[] } {
  const { sessions, log } = deps;
  // Every session costs a row of memory that admission and health scan: a stranger's flood of
  // cookie-less page views must not grow that without bound (a workshop join is not counted here).
  const newSessions = new RateLimit(deps.newSessionsPerNetwork ?? 30, NEW_SESSIONS_PERIOD_MS);

  const sessionOf = (req: http.IncomingMessage) => sessions.resolve(readCookie(req, SESSION_COOKIE));
  /** The `who` of a learner's route: their session cookie. */
  const learner = (req: http.IncomingMessage): LearnerSession => {
    const session = sessionOf(req);
    if (!session) throw new HttpError(401, 'No sandbox session: reload the page to start one.');
    return session;
  };
  const preview: PreviewDeps = { sessions, sessionOf, log: log.child({ part: 'preview' }) };
  /** The learner acted: claim within the admission rules; a refusal becomes 429/403 with Retry-After. */
  const claimFor = (req: http.IncomingMessage, session: LearnerSession) => {
    try {
      return sessions.claimCluster(session, clientAddress(req, deps.policy));
    } catch (err) {
      if (err instanceof ClaimRefused) throw new HttpError(err.status, err.message, err.retryAfterSeconds);
      throw err;
    }
  };
  const clusterOf = async (req: http.IncomingMessage, session: LearnerSession, claim = false) => {
    let cluster;
    try {
      cluster = await (claim ? claimFor(req, session) : sessions.ensureCluster(session));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof NotClaimed) throw new HttpError(409, 'Your sandbox is not started yet: click in the terminal or press Start.');
    }
    // The progress of a failed start may carry the engine's words: said for people here.
    if (!cluster) throw new HttpError(503, session.info.progress ? describeError(session.info.progress) : 'Your cluster is not running: press Reset cluster.');
    return cluster;
  };
  /** A path under LAB_DIR from the rest of the address (never outside it). */
  const labFile = (rest: string) => {
    const rel = labPath.safeParse(rest);
    if (!rel.success) throw new HttpError(400, rel.error.issues[0]?.message ?? 'bad path');
    return rel.data;
  };

  const routes: Route[] = [
    route({ method: 'GET', path: paths.health, handle: ({ res }) => json(res, 200, { ok: true, ...deps.health() }) }),

    // A session (cookie) only: a page view never takes a cluster (see paths.claim).
    route({
      method: 'POST',
      path: paths.session,
      handle: ({ req, res }) => {
        let session = sessionOf(req);
        if (!session) {
          const wait = newSessions.hit(clientNetwork(req, deps.policy));
          if (wait) throw new HttpError(429, `Too many new sessions from your network; try again in ${wait} s.`, wait);
          const created = sessions.create();
          session = created.session;
          res.setHeader('Set-Cookie', cookie(deps.policy, SESSION_COOKIE, created.token, { maxAgeSeconds: deps.maxAgeSeconds }));
        }
        const body: SessionResponse = { cluster: session.info };
        json(res, 200, body);
      },
    }),

    route({
      method: 'POST',
      path: paths.claim,
      who: learner,
      handle: ({ req, res, who: session }) => {
        claimFor(req, session).catch(() => undefined); // progress and failures reach the page through session.info
        const body: SessionResponse = { cluster: session.info };
        json(res, 202, body);
      },
    }),

    route({
      method: 'POST',
      path: paths.reset,
      who: learner,
      handle: ({ res, who: session }) => {
        if (!session.claimed && !session.cluster) throw new HttpError(409, 'Your sandbox is not started yet: there is nothing to reset.');
        const refusal = deps.resetRefusal?.(session);
        if (refusal) throw new HttpError(403, refusal);
        void sessions.reset(session).catch((err) => log.error('reset failed', { error: errorMessage(err) }));
        json(res, 202, { ok: true });
      },
    }),

    route({
      method: 'GET',
      path: paths.files,
      who: learner,
      handle: async ({ req, res, who }) => {
        const cluster = await clusterOf(req, who);
        json(res, 200, { files: await listNodeFiles(cluster.container('manager')!) });
      },
    }),

    // Reading a file never claims a cluster.
    route({
      method: 'GET',
      path: `${paths.files}/*`,
      who: learner,
      handle: async ({ req, res, params, who }) => {
        const rel = labFile(params['*']!);
        const cluster = await clusterOf(req, who);
        const content = await readNodeFile(cluster.container('manager')!, rel);
        if (!content) throw new HttpError(404, `${LAB_DIR}/${rel} does not exist on the manager (was it deleted? save it again from the editor)`);
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(content);
      },
    }),

    // Saving a file is an action: it may claim.
    route({
      method: 'PUT',
      path: `${paths.files}/*`,
      who: learner,
      body: { maxBytes: MAX_FILE_BYTES },
      handle: async ({ req, res, params, who: session, body }) => {
        const rel = labFile(params['*']!);
        const cluster = await clusterOf(req, session, true);
        const archive = await labArchive([{ path: rel, content: body }]);
        // Every node gets the file, so a bind mount works wherever a task lands.
        await Promise.all(cluster.cluster.nodes.map((n) => putLabFiles(cluster.container(n.name)!, archive)));
        deps.checks.nudge(session.id, 'file saved'); // no Docker event announces a saved file
        json(res, 200, { ok: true, path: rel, bytes: body.length, nodes: cluster.cluster.nodes.length });
      },
    }),

    // The preview answers its own pages (HTML, for a browser tab); its capability address may be used from its opaque origin.
    route({
      method: '*',
      path: `${paths.preview}/*`,
      opaqueOrigin: (req) => isPreviewCapabilityUrl(req.url),
      handle: ({ req, res, url }) => handlePreview(req, res, url, preview),
    }),
  ];

  const upgrades: Upgrade[] = [
    socketRoute({
      path: paths.ws,
      maxPayload: WS_MAX_PAYLOAD,
      open(ws, { req }) {
        const session = sessionOf(req);
        if (!session) throw new SocketRefusal(closeCodes.noSession, 'no session: reload the page');
        if (session.info.status === 'expired') throw new SocketRefusal(closeCodes.sessionExpired, 'session expired');
        checkSocketCap(session);
        new BrowserConnection(ws, session, sessions, deps.checks, log.child({ session: session.id.slice(0, 8) }), deps.connection);
      },
    }),
    {
      path: `${paths.preview}/*`,
      opaqueOrigin: (req) => isPreviewCapabilityUrl(req.url),
      tunnel: (req, socket, head) => handlePreviewUpgrade(req, socket, head, preview),
    },
  ];

  return { routes, upgrades };
}
