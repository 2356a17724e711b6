/**
 * Who may join a workshop, and when: the join page's answer for a code, and the join itself (a
 * learner per display name, on the browser's own session when it has one). The caller does what
 * follows a join (the warm pool, the dashboards).
 */
import type { ClusterPool } from '../clusters/pool.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';
import { WorkshopError } from './errors.ts';
import { newLearnerId } from './secrets.ts';
import type { LearnerRow, WorkshopRow, WorkshopStore } from './store.ts';

/** Clusters for the expected head count are warmed up this long before the start; learners may join from then on. */
export const PREWARM_LEAD_MS = 15 * 60_000;

export interface JoiningDeps {
  store: WorkshopStore;
  sessions: SessionManager;
  pool: Pick<ClusterPool, 'readyCount'>;
  /** Whether the host may start one more cluster. */
  hasRoom: () => boolean;
}

export interface JoinInfo {
  workshop: WorkshopRow | undefined;
  /** The learner this session already is in the workshop. */
  you: LearnerRow | undefined;
  /** Why joining is not possible now, in words for the learner. */
  reason?: string;
}

export function joinInfo(deps: JoiningDeps, code: string, session: LearnerSession | undefined): JoinInfo {
  const { store } = deps;
  const w = store.byCode(code);
  if (!w) return { workshop: undefined, you: undefined, reason: `No open workshop has the code ${code}. Check the code with your instructor.` };
  const mine = session && store.learnerBySession(session.id);
  const you = mine && mine.workshopId === w.id ? mine : undefined;
  if (you) return { workshop: w, you };
  if (Date.now() > w.endsAt) return { workshop: w, you, reason: 'This workshop has ended.' };
  if (Date.now() < w.startsAt - PREWARM_LEAD_MS) return { workshop: w, you, reason: opensMessage(w.startsAt - PREWARM_LEAD_MS) };
  if (store.learnerCount(w.id) >= w.capacity) return { workshop: w, you, reason: fullMessage(w) };
  const hasCluster = !!session?.cluster || !!session?.pending;
  if (!hasCluster && deps.pool.readyCount === 0 && !deps.hasRoom()) return { workshop: w, you, reason: SERVER_FULL_MESSAGE };
  return { workshop: w, you };
}

export interface Joined {
  workshop: WorkshopRow;
  learner: LearnerRow;
  session: LearnerSession;
  /** Set when a new session was made (its cookie). */
  token?: string;
  /** False for a rejoin from the same browser: nothing changed. */
  added: boolean;
}

/**
 * Join with a display name. The browser's own session is reused when it has
 * one (same cluster, same progress); a rejoin from the same browser returns
 * the learner it already is.
 */
export function join(deps: JoiningDeps, code: string, name: string, current: LearnerSession | undefined): Joined {
  const { store, sessions } = deps;
  const info = joinInfo(deps, code, current);
  if (!info.workshop) throw new WorkshopError('not_found', info.reason!);
  const w = info.workshop;
  if (info.you && current) return { workshop: w, learner: info.you, session: current, added: false };
  if (info.reason) throw new WorkshopError(w.endsAt < Date.now() ? 'gone' : w.startsAt - PREWARM_LEAD_MS > Date.now() ? 'too_early' : 'conflict', info.reason);

  const reusable = current && current.info.status !== 'expired' && !store.learnerBySession(current.id) ? current : undefined;
  const created = reusable ? undefined : sessions.create();
  const session = reusable ?? created!.session;
  const learner = { id: newLearnerId(), workshopId: w.id, name, sessionId: session.id, joinedAt: Date.now() };
  if (!store.addLearner(learner, w.capacity)) {
    if (created) void sessions.expire(created.session, 'the workshop was full');
    throw new WorkshopError('conflict', fullMessage(w));
  }
  // Joining is the learner's action: their cluster is claimed now, within the workshop's capacity (no per-address limit).
  void Promise.resolve()
    .then(() => sessions.claimCluster(session, undefined))
    .catch(() => undefined); // failures show on the learner's page and the dashboard
  return { workshop: w, learner: { ...learner, lesson: null, finalPassed: null }, session, added: true, ...(created ? { token: created.token } : {}) };
}

const SERVER_FULL_MESSAGE = 'This workshop has places left, but the server runs as many clusters as it may right now. Ask your instructor (they can end other sessions or raise SWB_MAX_CLUSTERS).';
const opensMessage = (at: number) =>
  `This workshop opens for joining at ${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC (15 minutes before it starts). Come back then with the same code.`;
const fullMessage = (w: WorkshopRow) => `This workshop is full: all ${w.capacity} places are taken. Ask your instructor for a place.`;
