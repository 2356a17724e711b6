/**
 * Workshop routes under /sandbox/workshops and its two sockets, as a table for the router
 * (http/router.ts), which applies the door's guards, the error envelope and the close codes.
 * Instructor routes admit the instructor cookie (set once from the private link's key), creating a
 * workshop admits the operator's instructor key; anything else is a 403.
 */
import type http from 'node:http';
import { SESSION_COOKIE, MAX_CONTROL_FRAME_BYTES } from '@contract/protocol.ts';
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
} from '@contract/workshop.ts';
import type { Logger } from '../log.ts';
import type { SessionManager } from '../sessions/manager.ts';
import { HttpError, json, SocketRefusal, type StatusOf } from '../http/errors.ts';
import { RateLimit } from '../http/rate-limit.ts';
import { clientNetwork, cookie, readCookie, type HttpPolicy } from '../http/request.ts';
import { route, socketRoute, type Params, type Route, type Upgrade } from '../http/router.ts';
import { hashSecret, secretMatches } from './secrets.ts';
import { InstructorConnection } from './instructor-socket.ts';
import { dashboardCsv } from './dashboard.ts';
import { WorkshopError, type WorkshopErrorKind } from './errors.ts';
import type { WorkshopService } from './service.ts';

const BASE = workshopPaths.create;
const JSON_BODY = { maxBytes: 16 * 1024, json: true };
/** The HTTP answer to each kind of workshop error (the domain knows nothing of HTTP). */
const STATUS_OF: Record<WorkshopErrorKind, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, gone: 410, too_early: 425 };
export const workshopStatus: StatusOf = (err) => (err instanceof WorkshopError ? STATUS_OF[err.kind] : undefined);
/**
 * Unknown join codes one network (IPv6: one /64) may try at once; they come back at this many per
 * 10 minutes (codes are 6 of 31 characters: guessing one needs millions of tries).
 */
const JOIN_MISSES = { burst: 20, periodMs: 10 * 60_000 };
const isWorkshopId = (raw: string) => workshopId.safeParse(raw).success;

export interface WorkshopRouteDeps {
  service: WorkshopService;
  sessions: SessionManager;
  sessionMaxAgeSeconds: number;
  log: Logger;
  policy: HttpPolicy;
  /** The operator's instructor key (SWB_ADMIN_TOKEN or the generated one): needed to create a workshop. */
  adminToken: string;
}

export function workshopRoutes(deps: WorkshopRouteDeps): { routes: Route[]; upgrades: Upgrade[] } {
  const { service, sessions, log, policy } = deps;
  const adminHash = hashSecret(deps.adminToken);
  const joinMisses = new RateLimit(JOIN_MISSES.burst, JOIN_MISSES.periodMs);
  const sessionOf = (req: http.IncomingMessage) => sessions.resolve(readCookie(req, SESSION_COOKIE));

  /** The `who` of the create route: the operator's instructor key as a Bearer token. */
  const operator = (req: http.IncomingMessage): true => {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!auth) {
      throw new HttpError(401, 'Creating a workshop needs the instructor key: open the instructor link that `npm start` (or `npm run instructor`) prints on the server, or ask its operator.');
    }
    if (!secretMatches(auth, adminHash)) throw new HttpError(403, 'That instructor key is not this server\'s: check the link from `npm run instructor`.');
    return true;
  };
  /** The `who` of an instructor route: the workshop whose cookie the request carries. */
  const instructor = (req: http.IncomingMessage, params: Params) => service.authorize(params.id!, readCookie(req, instructorCookie(params.id!)));
  /** A join code from the address; a network past its wrong-code budget waits whatever it asks. */
  const codeOf = (req: http.IncomingMessage, params: Params) => {
    const code = joinCode.safeParse(params.code);
    if (!code.success) throw new HttpError(400, 'A join code is 6 letters and digits, e.g. K7MP3Q.');
    const wait = joinMisses.blocked(clientNetwork(req, policy));
    if (wait) throw new HttpError(429, `Too many wrong workshop codes from your network: try again in ${wait} s (check the code with your instructor).`, wait);
    return code.data;
  };
  const joinMissed = (req: http.IncomingMessage) => void joinMisses.hit(clientNetwork(req, policy));

  const routes: Route[] = [
    route({
      method: 'POST',
      path: BASE,
      who: operator,
      body: JSON_BODY,
      handle: ({ res, json: input }) => {
        const { workshop, secret, warning } = service.create(input as CreateWorkshopRequest);
        const body: CreateWorkshopResponse = {
          id: workshop.id,
          joinCode: workshop.joinCode,
          joinUrl: `/join/${workshop.joinCode}`,
          // The key rides in the fragment, which browsers never send: no access log, proxy or Referer sees it.
          instructorUrl: `/workshops/${workshop.id}#key=${secret}`,
          ...(warning ? { warning } : {}),
        };
        json(res, 201, body);
      },
    }),

    route({
      method: 'GET',
      path: `${BASE}/join/:code`,
      handle: ({ req, res, params }) => {
        const info = service.joinInfo(codeOf(req, params), sessionOf(req));
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
        json(res, 200, body);
      },
    }),

    route({
      method: 'POST',
      path: `${BASE}/join/:code`,
      body: JSON_BODY,
      handle: ({ req, res, params, json: input }) => {
        const code = codeOf(req, params);
        const parsed = joinRequest.safeParse(input);
        if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]?.message ?? 'enter a name');
        let joined;
        try {
          joined = service.join(code, parsed.data.name, sessionOf(req));
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
        json(res, 200, body);
      },
    }),

    route({
      method: 'POST',
      path: `${BASE}/:id/auth`,
      params: { id: isWorkshopId },
      body: JSON_BODY,
      handle: ({ res, params, json: input }) => {
        const key = (input as { key?: unknown }).key;
        const w = service.authorize(params.id!, typeof key === 'string' ? key : undefined);
        // The key moves into an HttpOnly cookie scoped to this workshop's API, so the page can drop it from the URL.
        const maxAge = Math.max(60, Math.round((w.endsAt - Date.now()) / 1000) + 7 * 24 * 3600);
        res.setHeader('Set-Cookie', cookie(policy, instructorCookie(w.id), key as string, { path: `${BASE}/${w.id}`, maxAgeSeconds: maxAge }));
        json(res, 200, { ok: true });
      },
    }),

    route({ method: 'GET', path: `${BASE}/:id/dashboard`, params: { id: isWorkshopId }, who: instructor, handle: ({ res, who }) => json(res, 200, service.dashboard(who)) }),

    route({
      method: 'GET',
      path: `${BASE}/:id/progress.csv`,
      params: { id: isWorkshopId },
      who: instructor,
      handle: ({ res, who: w }) => {
        const csv = dashboardCsv(service.dashboard(w));
        res.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="workshop-${w.id}-progress.csv"`,
          'Cache-Control': 'no-store',
        });
        res.end(csv);
      },
    }),

    route({
      method: 'POST',
      path: `${BASE}/:id/prewarm`,
      params: { id: isWorkshopId },
      who: instructor,
      body: JSON_BODY,
      handle: async ({ res, who: w, json: input }) => {
        const expected = Number((input as { expected?: unknown }).expected);
        if (!Number.isInteger(expected) || expected < 0 || expected > 200) throw new HttpError(400, 'expected: a head count from 0 to 200');
        await service.prewarm(w, expected);
        json(res, 202, { ok: true, pool: service.dashboard(w).pool });
      },
    }),

    route({
      method: 'POST',
      path: `${BASE}/:id/end`,
      params: { id: isWorkshopId },
      who: instructor,
      handle: async ({ res, who: w }) => {
        await service.end(w);
        json(res, 200, { ok: true });
      },
    }),

    /**
     * Instructor links once carried the key as `/workshops/<id>?key=…`. Such a link still opens (only
     * the key's hash is stored: a lost link cannot be re-issued, and a workshop may run for a week
     * across an upgrade), but the query never authorises anything: it is answered, unlogged, with a
     * redirect that moves the key into the fragment, out of this URL and out of the history entry.
     */
    route({
      method: ['GET', 'HEAD'],
      path: '/workshops/:id',
      params: { id: isWorkshopId },
      when: (url) => url.searchParams.has('key'),
      handle: ({ res, url, params }) => {
        const key = url.searchParams.get('key')!;
        const fragment = key.length <= 200 ? `#key=${encodeURIComponent(key)}` : '';
        res.writeHead(303, { Location: `/workshops/${params.id}${fragment}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
        res.end();
      },
    }),
  ];

  const upgrades: Upgrade[] = [
    socketRoute({
      path: workshopPaths.learnerWs,
      maxPayload: MAX_CONTROL_FRAME_BYTES,
      open(ws, { req }) {
        const session = sessionOf(req);
        const mine = session && service.learnerOf(session);
        if (!mine || mine.workshop.endedAt) throw new SocketRefusal(workshopCloseCodes.forbidden, 'not in a workshop');
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
      },
    }),
    // Refused before the upgrade: a learner (or anyone without the secret) gets a plain 403.
    socketRoute({
      path: `${BASE}/:id/ws`,
      params: { id: isWorkshopId },
      maxPayload: MAX_CONTROL_FRAME_BYTES,
      who: instructor,
      open: (ws, { who: workshop }) => void new InstructorConnection(ws, workshop, service, log.child({ workshop: workshop.id })),
    }),
  ];

  return { routes, upgrades };
}
