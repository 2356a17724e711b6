/**
 * Workshop routes under /sandbox/workshops and its two sockets. Instructor
 * routes need the instructor cookie (set once from the private link's key);
 * learner routes need the learner's session cookie. Anything else is a 403.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { SESSION_COOKIE, MAX_CONTROL_FRAME_BYTES } from '../../../contract/protocol.ts';
import {
  instructorCookie,
  joinCode,
  joinRequest,
  learnerWorkshopMessage,
  workshopCloseCodes,
  workshopId,
  workshopPaths,
  type CreateWorkshopRequest,
  type CreateWorkshopResponse,
  type JoinInfo,
  type JoinResponse,
  type LearnerWorkshopServerMessage,
} from '../../../contract/workshop.ts';
import type { SessionManager } from '../sessions/manager.ts';
import { clientNetwork, cookie, hostAllowed, hostRefusal, HttpError, json, readBody, readCookie, sameOrigin, type HttpPolicy, type HttpRoutes } from '../http/request.ts';
import { RateLimit } from '../http/rate-limit.ts';
import { hashSecret, secretMatches } from './secrets.ts';
import { InstructorConnection } from './instructor-socket.ts';
import { dashboardCsv } from './dashboard.ts';
import { WorkshopError, type WorkshopErrorKind } from './errors.ts';
import type { WorkshopService } from './service.ts';

const BASE = workshopPaths.create;
const BODY_LIMIT = 16 * 1024;
/** The HTTP answer to each kind of workshop error (the domain knows nothing of HTTP). */
const STATUS_OF: Record<WorkshopErrorKind, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, gone: 410, too_early: 425 };
/**
 * Unknown join codes one network (IPv6: one /64) may try at once; they come back at this many per
 * 10 minutes (codes are 6 of 31 characters: guessing one needs millions of tries).
 */
const JOIN_MISSES = { burst: 20, periodMs: 10 * 60_000 };

export interface WorkshopHttpDeps {
  service: WorkshopService;
  sessions: SessionManager;
  sessionMaxAgeSeconds: number;
  log: Logger;
  policy: HttpPolicy;
  /** The operator's instructor key (SWB_ADMIN_TOKEN or the generated one): needed to create a workshop. */
  adminToken: string;
}

export function createWorkshopHttp(deps: WorkshopHttpDeps): HttpRoutes {
  const { service, sessions, log, policy } = deps;
  const adminHash = hashSecret(deps.adminToken);
  const joinMisses = new RateLimit(JOIN_MISSES.burst, JOIN_MISSES.periodMs);
  /** A join-code lookup that found nothing counts against the network; past the limit every lookup waits. */
  const throttleJoin = (req: http.IncomingMessage) => {
    const wait = joinMisses.blocked(clientNetwork(req, policy));
    if (wait) throw new HttpError(429, `Too many wrong workshop codes from your network: try again in ${wait} s (check the code with your instructor).`, wait);
  };
  const joinMissed = (req: http.IncomingMessage) => void joinMisses.hit(clientNetwork(req, policy));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CONTROL_FRAME_BYTES });
  const sessionOf = (req: http.IncomingMessage) => sessions.resolve(readCookie(req, SESSION_COOKIE));
  const instructorOf = (req: http.IncomingMessage, id: string) => service.authorize(id, readCookie(req, instructorCookie(id)));

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.slice(BASE.length).split('/').filter(Boolean);

    if (parts.length === 0 && method === 'POST') {
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]?.trim();
      if (!auth) {
        throw new HttpError(401, 'Creating a workshop needs the instructor key: open the instructor link that `npm start` (or `npm run instructor`) prints on the server, or ask its operator.');
      }
      if (!secretMatches(auth, adminHash)) throw new HttpError(403, 'That instructor key is not this server\'s: check the link from `npm run instructor`.');
      const { workshop, secret, warning } = service.create(parseBody(await readText(req)) as CreateWorkshopRequest);
      const body: CreateWorkshopResponse = {
        id: workshop.id,
        joinCode: workshop.joinCode,
        joinUrl: `/join/${workshop.joinCode}`,
        // The key rides in the fragment, which browsers never send: no access log, proxy or Referer sees it.
        instructorUrl: `/workshops/${workshop.id}#key=${secret}`,
        ...(warning ? { warning } : {}),
      };
      return json(res, 201, body);
    }

    if (parts[0] === 'join' && parts.length === 2) {
      const code = joinCode.safeParse(decodeURIComponent(parts[1]!));
      if (!code.success) throw new HttpError(400, 'A join code is 6 letters and digits, e.g. K7MP3Q.');
      throttleJoin(req);
      if (method === 'GET') {
        const info = service.joinInfo(code.data, sessionOf(req));
        if (!info.workshop) {
          joinMissed(req);
          throw new HttpError(404, info.reason!);
        }
        const body: JoinInfo = {
          title: info.workshop.title,
          open: !info.reason,
          ...(info.reason ? { reason: info.reason } : {}),
          ...(info.you ? { you: { name: info.you.name, lesson: info.you.lesson ?? info.workshop.lessons[0]! } } : {}),
        };
        return json(res, 200, body);
      }
      if (method === 'POST') {
        const parsed = joinRequest.safeParse(parseBody(await readText(req)));
        if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]?.message ?? 'enter a name');
        let joined;
        try {
          joined = service.join(code.data, parsed.data.name, sessionOf(req));
        } catch (err) {
          if (err instanceof WorkshopError && err.kind === 'not_found') joinMissed(req);
          throw err;
        }
        if (joined.token) {
          // The session lives until the workshop ends (see pinnedUntil), so the cookie must too.
          const maxAge = Math.max(deps.sessionMaxAgeSeconds, Math.ceil((joined.workshop.endsAt - Date.now()) / 1000) + 3600);
          res.setHeader('Set-Cookie', cookie(policy, SESSION_COOKIE, joined.token, { maxAgeSeconds: maxAge }));
        }
        const body: JoinResponse = { lesson: joined.learner.lesson ?? joined.workshop.lessons[0]!, name: joined.learner.name };
        return json(res, 200, body);
      }
    }

    const id = workshopId.safeParse(parts[0]);
    if (id.success && parts.length === 2) {
      if (parts[1] === 'auth' && method === 'POST') {
        const key = (parseBody(await readText(req)) as { key?: unknown }).key;
        const w = service.authorize(id.data, typeof key === 'string' ? key : undefined);
        // The key moves into an HttpOnly cookie scoped to this workshop's API, so the page can drop it from the URL.
        const maxAge = Math.max(60, Math.round((w.endsAt - Date.now()) / 1000) + 7 * 24 * 3600);
        res.setHeader('Set-Cookie', cookie(policy, instructorCookie(w.id), key as string, { path: `${BASE}/${w.id}`, maxAgeSeconds: maxAge }));
        return json(res, 200, { ok: true });
      }
      const w = instructorOf(req, id.data);
      if (parts[1] === 'dashboard' && method === 'GET') return json(res, 200, service.dashboard(w));
      if (parts[1] === 'progress.csv' && method === 'GET') {
        const csv = dashboardCsv(service.dashboard(w));
        res.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="workshop-${w.id}-progress.csv"`,
          'Cache-Control': 'no-store',
        });
        return void res.end(csv);
      }
      if (parts[1] === 'prewarm' && method === 'POST') {
        const expected = Number((parseBody(await readText(req)) as { expected?: unknown }).expected);
        if (!Number.isInteger(expected) || expected < 0 || expected > 200) throw new HttpError(400, 'expected: a head count from 0 to 200');
        await service.prewarm(w, expected);
        return json(res, 202, { ok: true, pool: service.dashboard(w).pool });
      }
      if (parts[1] === 'end' && method === 'POST') {
        await service.end(w);
        return json(res, 200, { ok: true });
      }
    }
    throw new HttpError(404, `no workshop route ${method} ${url.pathname}`);
  }

  function upgradeLearner(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = sessionOf(req);
      const mine = session && service.learnerOf(session);
      if (!mine || mine.workshop.endedAt) return ws.close(workshopCloseCodes.forbidden, 'not in a workshop');
      const send = (msg: LearnerWorkshopServerMessage) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(msg));
      const stop = service.connectLearner(mine.row, mine.workshop, send);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let parsed;
        try {
          parsed = learnerWorkshopMessage.safeParse(JSON.parse(String(data)));
        } catch {
          return;
        }
        if (parsed.success && parsed.data.type === 'lesson') service.setLesson(mine.row, parsed.data.lesson);
      });
      ws.on('close', stop);
      ws.on('error', () => undefined);
    });
  }

  return {
    handleRequest(req, res) {
      const url = new URL(req.url ?? '/', 'http://local');
      if (legacyInstructorLink(req, res, url)) return true;
      if (url.pathname !== BASE && !url.pathname.startsWith(`${BASE}/`)) return false;
      if (!hostAllowed(req, policy)) {
        json(res, 403, { error: hostRefusal(req, policy) });
        return true;
      }
      if (!sameOrigin(req)) {
        json(res, 403, { error: 'cross-origin requests to the sandbox are refused' });
        return true;
      }
      route(req, res, url).catch((err) => {
        const status = err instanceof HttpError ? err.status : err instanceof WorkshopError ? STATUS_OF[err.kind] : err instanceof SyntaxError ? 400 : 500;
        if (status === 500) log.error('workshop request failed', { path: url.pathname.replace(/[?].*$/, ''), error: errorMessage(err) });
        const retry = err instanceof HttpError && err.retryAfter ? { 'Retry-After': String(err.retryAfter) } : undefined;
        if (!res.headersSent) json(res, status, { error: status === 400 && err instanceof SyntaxError ? 'the body must be JSON' : errorMessage(err) }, retry);
        else res.end();
      });
      return true;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://local');
      if (!url.pathname.startsWith(`${BASE}/`)) return false;
      if (!hostAllowed(req, policy) || !sameOrigin(req)) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'), true;
      if (url.pathname === workshopPaths.learnerWs) return upgradeLearner(req, socket, head), true;
      const m = /^\/sandbox\/workshops\/([a-z0-9]{12})\/ws$/.exec(url.pathname);
      if (!m) return false;
      let w;
      try {
        w = instructorOf(req, m[1]!);
      } catch {
        // Refused before the upgrade: a learner (or anyone without the secret) gets a plain 403.
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      const workshop = w;
      wss.handleUpgrade(req, socket, head, (ws) => new InstructorConnection(ws, workshop, service, log.child({ workshop: workshop.id })));
      return true;
    },

    close() {
      for (const client of wss.clients) client.close(4004, 'server restarting');
      wss.close();
    },
  };
}

/**
 * Instructor links once carried the key as `/workshops/<id>?key=…`. Such a link still opens (only
 * the key's hash is stored: a lost link cannot be re-issued, and a workshop may run for a week
 * across an upgrade), but the query never authorises anything: it is answered, unlogged, with a
 * redirect that moves the key into the fragment, out of this URL and out of the history entry.
 */
function legacyInstructorLink(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  const m = /^\/workshops\/([a-z0-9]{12})\/?$/.exec(url.pathname);
  const key = url.searchParams.get('key');
  if (!m || key === null || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const fragment = key.length <= 200 ? `#key=${encodeURIComponent(key)}` : '';
  res.writeHead(303, { Location: `/workshops/${m[1]}${fragment}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
  res.end();
  return true;
}

function parseBody(raw: string): unknown {
  return raw ? JSON.parse(raw) : {};
}

async function readText(req: http.IncomingMessage): Promise<string> {
  return (await readBody(req, BODY_LIMIT)).toString('utf8');
}
