/**
 * Workshops: what the instructor and the routes ask of them, composed from their parts:
 * create.ts (a new workshop), joining.ts (who may join, and when), live.ts (what open pages are
 * sent), catch-ups.ts and faults.ts (actions on every learner's cluster). Here: the instructor's
 * actions, the dashboard, the warm pool sized for workshops about to start, and the end (every
 * learner cluster torn down), by hand or when time is up.
 */
import type { ClusterPool } from '../clusters/pool.ts';
import { WorkshopError } from './errors.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { ClassFault, CreateWorkshopRequest, Dashboard } from '@contract/workshop.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';
import { CatchUps, type CatchUpRunner } from './catch-ups.ts';
import { createWorkshop } from './create.ts';
import { ClassFaults } from './faults.ts';
import { computeDashboard, passedOf, type LessonSource, type ProgressSource } from './dashboard.ts';
import { join, joinInfo, type JoinInfo, type Joined } from './joining.ts';
import { LiveFeeds, type DashboardSend, type LearnerSend } from './live.ts';
import { seatWarning, type HostSeats } from './seats.ts';
import { secretMatches } from './secrets.ts';
import type { LearnerRow, WorkshopRow, WorkshopStore } from './store.ts';

export interface WorkshopServiceDeps {
  store: WorkshopStore;
  sessions: SessionManager;
  pool: ClusterPool;
  /** The pool size configured for everyday use; workshops add to it while they need more. */
  basePoolSize: number;
  lessons: LessonSource & { slugs(): string[] };
  progress: ProgressSource;
  checks: CatchUpRunner;
  /** Whether the host may start one more cluster, and its limit (SWB_MAX_CLUSTERS). */
  hasRoom: () => boolean;
  maxClusters: number;
  /** Why the host runs that many, in words (the resource that bounds it, or that the operator set it). */
  hostLimitWhy: string;
  log: Logger;
  /** Online and no exercise passed for this long: flagged as stuck. */
  stuckAfterMs?: number;
  /** How often open dashboards are refreshed (progress has no events of its own). */
  refreshMs?: number;
  /** A class fault's cluster that has not healed after this long is reported as not recovered. */
  faultHealTimeoutMs?: number;
}

export class WorkshopService {
  private readonly live: LiveFeeds;
  private readonly catchUps: CatchUps;
  private readonly faults: ClassFaults;
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  /** After close the store is gone; sockets closing late must not touch it. */
  private closed = false;

  constructor(private readonly deps: WorkshopServiceDeps) {
    this.live = new LiveFeeds((id) => {
      const w = deps.store.workshop(id);
      return w && this.dashboard(w);
    });
    this.catchUps = new CatchUps(deps.checks, (session) => deps.sessions.ensureCluster(session));
    this.faults = new ClassFaults({ log: deps.log, healTimeoutMs: deps.faultHealTimeoutMs });
    this.timer = setInterval(() => this.tick(), deps.refreshMs ?? 1000);
    this.timer.unref();
    void this.updatePoolTarget();
  }

  // ------------------------------------------------------------ instructor

  /** A workshop with more places than the host has left in its window is still created, with a `warning` for the instructor. */
  create(input: CreateWorkshopRequest): { workshop: WorkshopRow; secret: string; warning?: string } {
    const created = createWorkshop({ store: this.deps.store, lessons: this.deps.lessons, host: this.hostSeats(), log: this.deps.log }, input);
    void this.updatePoolTarget();
    return created;
  }

  /** The workshop if `secret` is its instructor secret; throws 403/404 otherwise. */
  authorize(id: string, secret: string | undefined): WorkshopRow {
    const w = this.deps.store.workshop(id);
    if (!w || !secretMatches(secret, w.secretHash)) throw new WorkshopError('forbidden', 'This page belongs to the workshop\'s instructor. Open it with the instructor link.');
    return w;
  }

  dashboard(w: WorkshopRow): Dashboard {
    const fresh = this.deps.store.workshop(w.id) ?? w;
    const host = this.hostSeats();
    const warning = fresh.endedAt ? undefined : seatWarning(fresh, this.deps.store.openWorkshops(), host);
    const dashboard = computeDashboard({
      workshop: fresh,
      learners: this.deps.store.learners(w.id),
      lessons: this.deps.lessons,
      progress: this.deps.progress,
      session: (id) => this.deps.sessions.get(id),
      online: (learnerId) => this.live.online(learnerId),
      pool: { ready: this.deps.pool.readyCount, target: this.deps.pool.targetSize, hostLimit: this.deps.maxClusters },
      catchUp: (learnerId) => this.catchUps.status(learnerId),
      fault: (learnerId) => this.faults.status(learnerId),
      stuckAfterMs: this.deps.stuckAfterMs ?? 10 * 60_000,
    });
    return { ...dashboard, host: { ...host, ...(warning ? { warning } : {}) } };
  }

  /** The learners this host serves at once and why: the instructor sees it before the class. */
  private hostSeats(): HostSeats {
    return { learners: this.deps.maxClusters, why: this.deps.hostLimitWhy };
  }

  /** Follow a dashboard: called now and on every change. */
  subscribe(w: WorkshopRow, send: DashboardSend): () => void {
    return this.live.subscribe(w.id, this.dashboard(w), send);
  }

  /** Have clusters warm for `expected` learners in all (those who joined already have theirs). */
  async prewarm(w: WorkshopRow, expected: number): Promise<void> {
    if (w.endedAt) throw new WorkshopError('conflict', 'this workshop has ended');
    this.deps.store.setExpected(w.id, Math.min(expected, w.capacity), Date.now());
    await this.updatePoolTarget();
    this.changed(w.id);
  }

  async end(w: WorkshopRow): Promise<void> {
    const learners = this.deps.store.learners(w.id);
    if (!w.endedAt) {
      const final = new Map(learners.map((l) => [l.id, passedOf(l, w, this.deps.progress).passed]));
      this.deps.store.end(w.id, final);
      this.deps.log.info('workshop ended', { workshop: w.id, learners: learners.length });
    }
    for (const l of learners) this.live.toLearner(l.id, { type: 'ended' });
    const sessions = learners.map((l) => this.deps.sessions.get(l.sessionId)).filter((s): s is LearnerSession => !!s);
    await Promise.all(sessions.map((s) => this.deps.sessions.expire(s, 'the workshop ended').catch((err) => this.deps.log.error('teardown failed', { error: errorMessage(err) }))));
    await this.updatePoolTarget();
    this.changed(w.id);
  }

  reset(w: WorkshopRow, learnerId: string): void {
    const { session } = this.learner(w, learnerId);
    void this.deps.sessions.reset(session).catch((err) => this.deps.log.error('reset failed', { error: errorMessage(err) }));
    this.changed(w.id);
  }

  broadcast(w: WorkshopRow, text: string): number {
    return this.live.notice(
      w.id,
      this.deps.store.learners(w.id).map((l) => l.id),
      text,
    );
  }

  /**
   * Every learner's page opens `lesson`, and on every cluster the solutions
   * of earlier exercises (all lessons before it, in order) not yet done on
   * that cluster are applied, so everyone starts the lesson from the state it
   * expects. Returns how many pages were reached and how many catch up.
   */
  bringTo(w: WorkshopRow, lesson: string): { reached: number; catchingUp: number } {
    const slugs = this.deps.lessons.slugs();
    if (!this.deps.lessons.get(lesson)) throw new WorkshopError('invalid', `there is no lesson "${lesson}"`);
    if (w.endedAt) throw new WorkshopError('conflict', 'this workshop has ended');
    const earlier = slugs.slice(0, slugs.indexOf(lesson));
    let reached = 0;
    let catchingUp = 0;
    for (const l of this.deps.store.learners(w.id)) {
      this.deps.store.setLesson(l.id, lesson); // a learner offline now lands there when they come back
      const session = this.deps.sessions.get(l.sessionId);
      const catchUp = !!session && this.catchUps.start(l.id, session, lesson, earlier, () => this.changed(w.id));
      if (catchUp) catchingUp++;
      reached += this.live.toLearner(l.id, { type: 'goto', lesson, ...(catchUp ? { catchingUp: true } : {}) });
    }
    this.deps.log.info('bring to lesson', { workshop: w.id, lesson, reached, catchingUp });
    this.changed(w.id);
    return { reached, catchingUp };
  }

  /** Break every learner's cluster the same way at once; the dashboard follows each until it healed. */
  fireFault(w: WorkshopRow, fault: ClassFault): number {
    if (w.endedAt) throw new WorkshopError('conflict', 'this workshop has ended');
    const targets = this.deps.store.learners(w.id).map((l) => ({ learnerId: l.id, session: this.deps.sessions.get(l.sessionId) }));
    if (!targets.length) throw new WorkshopError('conflict', 'no one has joined yet');
    return this.faults.fire(targets, fault, () => this.changed(w.id));
  }

  /** A learner of this workshop with a live session (for watch and reset). */
  learner(w: WorkshopRow, learnerId: string): { row: LearnerRow; session: LearnerSession } {
    const row = this.deps.store.learners(w.id).find((l) => l.id === learnerId);
    const session = row && this.deps.sessions.get(row.sessionId);
    if (!row || !session) throw new WorkshopError('not_found', 'that learner has no running session');
    return { row, session };
  }

  /** An instructor started (+1) or stopped (-1) watching a learner's terminal: the learner is told. */
  watching(learnerId: string, delta: 1 | -1): void {
    this.live.watching(learnerId, delta);
  }

  // ------------------------------------------------------------ learners

  joinInfo(code: string, session: LearnerSession | undefined): JoinInfo {
    return joinInfo(this.deps, code, session);
  }

  /** Join with a display name (see joining.ts); `token` is set when a new session was made. */
  join(code: string, name: string, current: LearnerSession | undefined): Joined {
    const joined = join(this.deps, code, name, current);
    if (joined.added) {
      this.deps.log.info('learner joined', { workshop: joined.workshop.id, learner: joined.learner.id });
      void this.updatePoolTarget();
      this.changed(joined.workshop.id);
    }
    return joined;
  }

  /** The learner this browser session is, in an open workshop. */
  learnerOf(session: LearnerSession): { row: LearnerRow; workshop: WorkshopRow } | undefined {
    const row = this.deps.store.learnerBySession(session.id);
    const workshop = row && this.deps.store.workshop(row.workshopId);
    return row && workshop ? { row, workshop } : undefined;
  }

  /** Why this learner may not reset their own cluster, or null (not in a workshop, or the workshop allows it). */
  resetRefusal(session: LearnerSession): string | null {
    const mine = this.learnerOf(session);
    if (!mine || mine.workshop.learnersMayReset || mine.workshop.endedAt) return null;
    return 'In this workshop your instructor resets clusters: ask them if yours is stuck.';
  }

  /** A learner page's workshop socket: notices, watch state, "go to lesson". */
  connectLearner(row: LearnerRow, w: WorkshopRow, send: LearnerSend): () => void {
    return this.live.connectLearner(row, w, send);
  }

  setLesson(row: LearnerRow, lesson: string | null): void {
    if (this.closed) return;
    this.deps.store.setLesson(row.id, lesson);
    this.changed(row.workshopId);
  }

  close(): void {
    this.closed = true;
    this.live.close();
    this.catchUps.close();
    this.faults.close();
    clearInterval(this.timer);
  }

  // ------------------------------------------------------------ internals

  /** Push the dashboard of a workshop to its open dashboards if it changed. */
  changed(workshopId: string): void {
    this.live.changed(workshopId);
  }

  private tick(): void {
    this.live.refresh();
    // Every ~30 s: end workshops whose time is up (their clusters must not run on), start pre-warming those about to begin.
    if (this.ticks++ % 30) return;
    void this.updatePoolTarget().catch((err) => this.deps.log.error('resizing the warm pool failed', { error: errorMessage(err) }));
    for (const w of this.deps.store.openWorkshops()) {
      if (Date.now() > w.endsAt) void this.end(w).catch((err) => this.deps.log.error('ending a workshop failed', { error: errorMessage(err) }));
    }
  }

  /** Pool size = everyday size + clusters still missing for the expected head count of open workshops about to start. */
  private async updatePoolTarget(): Promise<void> {
    let extra = 0;
    const now = Date.now();
    for (const w of this.deps.store.openWorkshops()) {
      if (w.prewarmAt <= now) extra += Math.max(0, w.expected - this.deps.store.learnerCount(w.id));
    }
    const target = this.deps.basePoolSize + extra;
    if (target !== this.deps.pool.targetSize) {
      this.deps.log.info('warm pool size', { target, extra });
      await this.deps.pool.setSize(target);
    }
  }
}
