/**
 * Workshop routes under /sandbox/workshops and its two sockets. Instructor
 * routes need the instructor cookie (set once from the private link's key);
 * learner routes need the learner's session cookie. Anything else is a 403.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import { errorMessage } from '../log.js';
import { SESSION_COOKIE, MAX_CONTROL_FRAME_BYTES } from '../protocol/index.js';
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
} from '../protocol/workshop.js';
import type { SessionManager } from '../sessions/manager.js';
import { HttpError, json, readBody, readCookie, sameOrigin } from '../http/request.js';
import { InstructorConnection } from './instructor-socket.js';
import { dashboardCsv } from './dashboard.js';
import type { WorkshopService } from './service.js';

const BASE = workshopPaths.create;
const BODY_LIMIT = 16 * 1024;

export interface WorkshopHttp {
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

export function createWorkshopHttp(deps: { service: WorkshopService; sessions: SessionManager; sessionMaxAgeSeconds: number; log: Logger }): WorkshopHttp {
  const { service, sessions, log } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CONTROL_FRAME_BYTES });
  const sessionOf = (req: http.IncomingMessage) => sessions.resolve(readCookie(req, SESSION_COOKIE));
  const instructorOf = (req: http.IncomingMessage, id: string) => service.authorize(id, readCookie(req, instructorCookie(id)));

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.slice(BASE.length).split('/').filter(Boolean);

    if (parts.length === 0 && method === 'POST') {
      const { workshop, secret } = service.create(parseBody(await readText(req)) as CreateWorkshopRequest);
      const body: CreateWorkshopResponse = {
        id: workshop.id,
        joinCode: workshop.joinCode,
        joinUrl: `/join/${workshop.joinCode}`,
        instructorUrl: `/workshops/${workshop.id}?key=${secret}`,
      };
      return json(res, 201, body);
    }

    if (parts[0] === 'join' && parts.length === 2) {
      const code = joinCode.safeParse(decodeURIComponent(parts[1]!));
      if (!code.success) throw new HttpError(400, 'A join code is 6 letters and digits, e.g. K7MP3Q.');
      if (method === 'GET') {
        const info = service.joinInfo(code.data, sessionOf(req));
        if (!info.workshop) throw new HttpError(404, info.reason!);
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
        const joined = service.join(code.data, parsed.data.name, sessionOf(req));
        if (joined.token) {
          // The session lives until the workshop ends (see pinnedUntil), so the cookie must too.
          const maxAge = Math.max(deps.sessionMaxAgeSeconds, Math.ceil((joined.workshop.endsAt - Date.now()) / 1000) + 3600);
          res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${joined.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`);
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
        res.setHeader('Set-Cookie', `${instructorCookie(w.id)}=${key as string}; Path=${BASE}/${w.id}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`);
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
      if (url.pathname !== BASE && !url.pathname.startsWith(`${BASE}/`)) return false;
      if (!sameOrigin(req)) {
        json(res, 403, { error: 'cross-origin requests to the sandbox are refused' });
        return true;
      }
      route(req, res, url).catch((err) => {
        const status = err instanceof HttpError ? err.status : err instanceof SyntaxError ? 400 : 500;
        if (status === 500) log.error('workshop request failed', { path: url.pathname.replace(/[?].*$/, ''), error: errorMessage(err) });
        if (!res.headersSent) json(res, status, { error: status === 400 && err instanceof SyntaxError ? 'the body must be JSON' : errorMessage(err) });
        else res.end();
      });
      return true;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://local');
      if (!url.pathname.startsWith(`${BASE}/`)) return false;
      if (!sameOrigin(req)) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'), true;
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

function parseBody(raw: string): unknown {
  return raw ? JSON.parse(raw) : {};
}

async function readText(req: http.IncomingMessage): Promise<string> {
  return (await readBody(req, BODY_LIMIT)).toString('utf8');
}
