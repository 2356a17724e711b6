/**
 * Workshops: create, join (a learner session per display name, its cluster
 * claimed at once), pre-warm, live dashboards, end (every learner cluster torn
 * down). Sockets and HTTP live beside this file; this is the logic they share.
 */
import type { ClusterPool } from '../clusters/pool.ts';
import { WorkshopError } from './errors.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { ClassFault, CreateWorkshopRequest, Dashboard, LearnerWorkshopServerMessage } from '../../../contract/workshop.ts';
import { createWorkshopRequest } from '../../../contract/workshop.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';
import { CatchUps, type CatchUpRunner } from './catch-ups.ts';
import { ClassFaults } from './faults.ts';
import { computeDashboard, passedOf, type LessonSource, type ProgressSource } from './dashboard.ts';
import { seatWarning, type HostSeats } from './seats.ts';
import { hashSecret, newJoinCode, newLearnerId, newSecret, newWorkshopId, secretMatches } from './secrets.ts';
import type { LearnerRow, WorkshopRow, WorkshopStore } from './store.ts';

/** Clusters for the expected head count are warmed up this long before the start; learners may join from then on. */
const PREWARM_LEAD_MS = 15 * 60_000;
/** A workshop starts at most this far ahead (and not more than an hour in the past). */
const MAX_LEAD_MS = 90 * 24 * 3600_000;
const MAX_PAST_MS = 3600_000;
/** Longest workshop (the request schema says the same). */
const MAX_DURATION_MIN = 7 * 24 * 60;

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

type LearnerSend = (msg: LearnerWorkshopServerMessage) => void;
type DashboardSend = (d: Dashboard) => void;

export class WorkshopService {
  private readonly learnerSockets = new Map<string, Set<LearnerSend>>();
  private readonly dashboards = new Map<string, { listeners: Set<DashboardSend>; last: string }>();
  private readonly watchers = new Map<string, number>();
  private readonly lastNotice = new Map<string, { text: string; at: number }>();
  private readonly catchUps: CatchUps;
  private readonly faults: ClassFaults;
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  /** After close the store is gone; sockets closing late must not touch it. */
  private closed = false;

  constructor(private readonly deps: WorkshopServiceDeps) {
    this.catchUps = new CatchUps(deps.checks, (session) => deps.sessions.ensureCluster(session));
    this.faults = new ClassFaults({ log: deps.log, healTimeoutMs: deps.faultHealTimeoutMs });
    this.timer = setInterval(() => this.tick(), deps.refreshMs ?? 1000);
    this.timer.unref();
    void this.updatePoolTarget();
  }

  // ------------------------------------------------------------ instructor

  /** A workshop with more places than the host has left in its window is still created, with a `warning` for the instructor. */
  create(input: CreateWorkshopRequest): { workshop: WorkshopRow; secret: string; warning?: string } {
    const parsed = createWorkshopRequest.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WorkshopError('invalid', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const req = parsed.data;
    const unknown = req.lessons.filter((l) => !this.deps.lessons.get(l));
    if (unknown.length) throw new WorkshopError('invalid', `unknown lessons: ${unknown.join(', ')} (known: ${this.deps.lessons.slugs().join(', ')})`);
    const now = Date.now();
    const startsAt = req.startsAt ?? now;
    if (startsAt < now - MAX_PAST_MS || startsAt > now + MAX_LEAD_MS) {
      throw new WorkshopError('invalid', 'startsAt: a workshop starts between an hour ago and 90 days from now');
    }
    if (req.durationMin > MAX_DURATION_MIN) throw new WorkshopError('invalid', 'durationMin: a workshop lasts at most 7 days');
    const endsAt = startsAt + req.durationMin * 60_000;
    const warning = seatWarning({ capacity: req.capacity, startsAt, endsAt }, this.deps.store.openWorkshops(), this.hostSeats());
    const secret = newSecret();
    for (let attempt = 0; ; attempt++) {
      const workshop: WorkshopRow = {
        id: newWorkshopId(),
        title: req.title,
        lessons: req.lessons,
        capacity: req.capacity,
        startsAt,
        endsAt,
        learnersMayReset: req.learnersMayReset,
        secretHash: hashSecret(secret),
        joinCode: newJoinCode(),
        createdAt: now,
        endedAt: null,
        expected: Math.min(req.expected, req.capacity),
        prewarmAt: startsAt - PREWARM_LEAD_MS,
      };
      try {
        this.deps.store.insertWorkshop(workshop);
        this.deps.log.info('workshop created', { workshop: workshop.id, capacity: workshop.capacity, lessons: workshop.lessons.length });
        if (warning) this.deps.log.warn('workshop larger than the host', { workshop: workshop.id, warning });
        void this.updatePoolTarget();
        return { workshop, secret, ...(warning ? { warning } : {}) };
      } catch (err) {
        // A join code already used by an open workshop: draw another.
        if (attempt >= 5 || !/UNIQUE/.test(errorMessage(err))) throw err;
      }
    }
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
      online: (learnerId) => (this.learnerSockets.get(learnerId)?.size ?? 0) > 0,
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
    let entry = this.dashboards.get(w.id);
    if (!entry) this.dashboards.set(w.id, (entry = { listeners: new Set(), last: '' }));
    entry.listeners.add(send);
    send(this.dashboard(w));
    const own = entry;
    return () => {
      own.listeners.delete(send);
      if (!own.listeners.size && this.dashboards.get(w.id) === own) this.dashboards.delete(w.id);
    };
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
    for (const l of learners) this.sendLearner(l.id, { type: 'ended' });
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
    const notice = { text, at: Date.now() };
    this.lastNotice.set(w.id, notice);
    return this.toLearners(w, { type: 'notice', ...notice });
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
      reached += this.sendLearner(l.id, { type: 'goto', lesson, ...(catchUp ? { catchingUp: true } : {}) });
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
    const n = Math.max(0, (this.watchers.get(learnerId) ?? 0) + delta);
    if (n) this.watchers.set(learnerId, n);
    else this.watchers.delete(learnerId);
    this.sendLearner(learnerId, { type: 'watched', watching: n > 0 });
  }

  // ------------------------------------------------------------ learners

  joinInfo(code: string, session: LearnerSession | undefined): { workshop: WorkshopRow | undefined; you: LearnerRow | undefined; reason?: string } {
    const w = this.deps.store.byCode(code);
    if (!w) return { workshop: undefined, you: undefined, reason: `No open workshop has the code ${code}. Check the code with your instructor.` };
    const mine = session && this.deps.store.learnerBySession(session.id);
    const you = mine && mine.workshopId === w.id ? mine : undefined;
    if (you) return { workshop: w, you };
    if (Date.now() > w.endsAt) return { workshop: w, you, reason: 'This workshop has ended.' };
    if (Date.now() < w.startsAt - PREWARM_LEAD_MS) return { workshop: w, you, reason: opensMessage(w.startsAt - PREWARM_LEAD_MS) };
    if (this.deps.store.learnerCount(w.id) >= w.capacity) return { workshop: w, you, reason: fullMessage(w) };
    const hasCluster = !!session?.cluster || !!session?.pending;
    if (!hasCluster && this.deps.pool.readyCount === 0 && !this.deps.hasRoom()) return { workshop: w, you, reason: SERVER_FULL_MESSAGE };
    return { workshop: w, you };
  }

  /**
   * Join with a display name. The browser's own session is reused when it has
   * one (same cluster, same progress); a rejoin from the same browser returns
   * the learner it already is. `token` is set when a new session was made.
   */
  join(code: string, name: string, current: LearnerSession | undefined): { workshop: WorkshopRow; learner: LearnerRow; session: LearnerSession; token?: string } {
    const info = this.joinInfo(code, current);
    if (!info.workshop) throw new WorkshopError('not_found', info.reason!);
    const w = info.workshop;
    if (info.you && current) return { workshop: w, learner: info.you, session: current };
    if (info.reason) throw new WorkshopError(w.endsAt < Date.now() ? 'gone' : w.startsAt - PREWARM_LEAD_MS > Date.now() ? 'too_early' : 'conflict', info.reason);

    const reusable = current && current.info.status !== 'expired' && !this.deps.store.learnerBySession(current.id) ? current : undefined;
    const created = reusable ? undefined : this.deps.sessions.create();
    const session = reusable ?? created!.session;
    const learner = { id: newLearnerId(), workshopId: w.id, name, sessionId: session.id, joinedAt: Date.now() };
    if (!this.deps.store.addLearner(learner, w.capacity)) {
      if (created) void this.deps.sessions.expire(created.session, 'the workshop was full');
      throw new WorkshopError('conflict', fullMessage(w));
    }
    // Joining is the learner's action: their cluster is claimed now, within the workshop's capacity (no per-address limit).
    void Promise.resolve()
      .then(() => this.deps.sessions.claimCluster(session, undefined))
      .catch(() => undefined); // failures show on the learner's page and the dashboard
    this.deps.log.info('learner joined', { workshop: w.id, learner: learner.id });
    void this.updatePoolTarget();
    this.changed(w.id);
    return { workshop: w, learner: { ...learner, lesson: null, finalPassed: null }, session, ...(created ? { token: created.token } : {}) };
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
    let set = this.learnerSockets.get(row.id);
    if (!set) this.learnerSockets.set(row.id, (set = new Set()));
    set.add(send);
    send({ type: 'workshop', title: w.title, name: row.name, lessons: w.lessons, learnersMayReset: w.learnersMayReset });
    send({ type: 'watched', watching: (this.watchers.get(row.id) ?? 0) > 0 });
    const notice = this.lastNotice.get(w.id);
    if (notice && Date.now() - notice.at < 15 * 60_000) send({ type: 'notice', ...notice });
    this.changed(w.id);
    const own = set;
    return () => {
      own.delete(send);
      if (!own.size && this.learnerSockets.get(row.id) === own) this.learnerSockets.delete(row.id);
      this.changed(w.id);
    };
  }

  setLesson(row: LearnerRow, lesson: string | null): void {
    if (this.closed) return;
    this.deps.store.setLesson(row.id, lesson);
    this.changed(row.workshopId);
  }

  close(): void {
    this.closed = true;
    this.catchUps.close();
    this.faults.close();
    clearInterval(this.timer);
  }

  // ------------------------------------------------------------ internals

  /** Push the dashboard of a workshop to its open dashboards if it changed. */
  changed(workshopId: string): void {
    if (this.closed) return;
    const entry = this.dashboards.get(workshopId);
    const w = entry && this.deps.store.workshop(workshopId);
    if (!entry || !w) return;
    const d = this.dashboard(w);
    const json = JSON.stringify(d);
    if (json === entry.last) return;
    entry.last = json;
    for (const send of entry.listeners) send(d);
  }

  private tick(): void {
    for (const id of this.dashboards.keys()) this.changed(id);
    // Every ~30 s: end workshops whose time is up (their clusters must not run on), start pre-warming those about to begin.
    if (this.ticks++ % 30) return;
    void this.updatePoolTarget().catch((err) => this.deps.log.error('resizing the warm pool failed', { error: errorMessage(err) }));
    for (const w of this.deps.store.openWorkshops()) {
      if (Date.now() > w.endsAt) void this.end(w).catch((err) => this.deps.log.error('ending a workshop failed', { error: errorMessage(err) }));
    }
  }

  private toLearners(w: WorkshopRow, msg: LearnerWorkshopServerMessage): number {
    let reached = 0;
    for (const l of this.deps.store.learners(w.id)) reached += this.sendLearner(l.id, msg);
    return reached;
  }

  private sendLearner(learnerId: string, msg: LearnerWorkshopServerMessage): number {
    const set = this.learnerSockets.get(learnerId);
    for (const send of set ?? []) send(msg);
    return set?.size ? 1 : 0;
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

const SERVER_FULL_MESSAGE = 'This workshop has places left, but the server runs as many clusters as it may right now. Ask your instructor (they can end other sessions or raise SWB_MAX_CLUSTERS).';
const opensMessage = (at: number) =>
  `This workshop opens for joining at ${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC (15 minutes before it starts). Come back then with the same code.`;
const fullMessage = (w: WorkshopRow) => `This workshop is full: all ${w.capacity} places are taken. Ask your instructor for a place.`;
