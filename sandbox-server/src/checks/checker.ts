/**
 * Live exercise checks for every connected learner.
 *
 * While a page watches a lesson, the learner's cluster is watched: Docker
 * events from any node trigger a round of checks after a short debounce, a
 * round that leaves exercises unpassed is repeated a little later (the manager
 * learns about task states a moment after the containers start, without an
 * event of its own), and checks that no event can announce (HTTP pages, file
 * contents) are polled while unpassed (the timing: scheduler.ts). Results go to
 * the pages watching that lesson whenever they change; passes are stored per
 * learner.
 */
import type Docker from 'dockerode';
import type { LiveCluster } from '../clusters/live.ts';
import type { CheckResult, ServerMessage } from '@contract/protocol.ts';
import type { LearnerSession } from '../sessions/manager.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { runSteps } from './apply.ts';
import { catchUp, catchUpSteps, type CatchUpResult, type CatchUpStep } from './catch-up.ts';
import type { CheckedExercise, LessonCatalog } from './catalog.ts';
import { evaluate, needsPolling } from './evaluate.ts';
import { InnerEngines, LiveClusterView, type NodeEndpoint } from './live-view.ts';
import type { ExerciseProgress, ProgressStore } from './progress.ts';
import type { InnerEventsMessage } from '../engine/inner-events.ts';
import { focusOfCheck } from './focus.ts';
import { hasPassed, verdictsInOrder } from './order.ts';
import { fail } from './outcome.ts';
import { RoundScheduler, type RoundTiming } from './scheduler.ts';

export interface CheckServiceDeps extends RoundTiming {
  catalog: LessonCatalog;
  progress: ProgressStore;
  /** The host engine (lab files are read through the node containers' archive API). */
  hostDocker: Docker;
  /** Swarm VIPs and the routing mesh need IPVS; messages say so where it matters. */
  ipvs: boolean;
  log: Logger;
}

/** One browser page's view of the checks. */
export interface CheckClient {
  watch(lesson: string | null): void;
  /** Check now; `failed` instead of `pending` for what does not pass. */
  check(lesson: string, exerciseId?: string): Promise<void>;
  apply(lesson: string, exerciseId: string): Promise<void>;
  close(): void;
}

type Send = (msg: ServerMessage) => void;

interface Page {
  send: Send;
  lesson: string | null;
  /** Last `checks` frame sent per lesson, to send only changes. */
  sent: Map<string, string>;
}

export class CheckService {
  private readonly learners = new Map<string, LearnerChecks>();
  readonly engines = new InnerEngines();

  constructor(readonly deps: CheckServiceDeps) {}

  connect(session: LearnerSession, send: Send): CheckClient {
    let learner = this.learners.get(session.id);
    if (!learner) {
      learner = new LearnerChecks(session, this);
      this.learners.set(session.id, learner);
    }
    const page: Page = { send, lesson: null, sent: new Map() };
    const owner = learner;
    owner.pages.add(page);
    let closed = false;
    return {
      watch: (lesson) => owner.watch(page, lesson),
      check: (lesson, exerciseId) => owner.checkNow(page, lesson, exerciseId),
      apply: (lesson, exerciseId) => owner.apply(page, lesson, exerciseId),
      close: () => {
        if (closed) return;
        closed = true;
        owner.pages.delete(page);
        if (owner.pages.size === 0) {
          owner.dispose();
          if (this.learners.get(session.id) === owner) this.learners.delete(session.id);
        }
      },
    };
  }

  /** Something changed that no Docker event reports (e.g. a file saved from the editor). */
  nudge(sessionId: string, why: string): void {
    this.learners.get(sessionId)?.schedule(why, true);
  }

  /** The exercises of `lessons` not done on this learner's current cluster, in order. */
  notDoneHere(session: LearnerSession, lessons: string[]): CatchUpStep[] {
    // A cluster still starting (or being reset) is new: nothing passed so far was done on it.
    return catchUpSteps(this.deps, session.id, session.cluster?.id ?? 'a cluster not started yet', lessons);
  }

  /** Apply these exercises' solutions on the learner's cluster, checking each (see catch-up.ts); open pages follow along. */
  async catchUp(session: LearnerSession, steps: CatchUpStep[], onStep: (done: number, current: string) => void): Promise<CatchUpResult> {
    const cluster = session.cluster;
    if (!cluster || session.info.status !== 'ready') throw new Error('the cluster is not ready');
    this.deps.log.info('catching a learner up', { session: session.id.slice(0, 8), exercises: steps.length });
    return catchUp({ ...this.deps, engines: this.engines }, { sessionId: session.id, cluster }, steps, (done, current) => {
      this.nudge(session.id, 'catch-up step');
      onStep(done, current);
    });
  }

  /** Learners with at least one page connected (metrics, bench). */
  get watching(): number {
    return this.learners.size;
  }

  close(): void {
    for (const l of this.learners.values()) l.dispose();
    this.learners.clear();
  }
}

class LearnerChecks {
  readonly pages = new Set<Page>();
  private bound: { cluster: LiveCluster; nodes: NodeEndpoint[]; stopEvents: () => void } | null = null;
  private readonly unsubscribe: () => void;
  /** Exercises the learner asked about that did not pass: shown as `failed` until they pass. */
  private readonly asked = new Set<string>();
  /** When this learner first opened each lesson here (ms): task failures before it do not count for `rescheduled`. */
  private readonly began = new Map<string, number>();
  private readonly scheduler: RoundScheduler;
  private queued: Round | null = null;
  /** Rounds running now (at most MAX_ROUNDS_IN_FLIGHT) and the number the next one gets. */
  private inFlight = 0;
  private roundSeq = 0;
  /** Per `lesson/exercise`: the newest round whose verdict counted; an older round's late answer is dropped. */
  private readonly newestVerdict = new Map<string, number>();
  /** Per lesson: the newest verdict of every exercise, in lesson order (unset: never judged on this cluster). */
  private readonly latest = new Map<string, (CheckResult | undefined)[]>();
  private applying: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly log: Logger;

  constructor(
    private readonly session: LearnerSession,
    private readonly service: CheckService,
  ) {
    this.log = service.deps.log.child({ session: session.id.slice(0, 8), part: 'checks' });
    this.scheduler = new RoundScheduler(
      service.deps,
      (followUp) => void this.runRound({ followUp }),
      () => this.watchedLessons().length > 0,
      () => this.inFlight > 0,
    );
    this.unsubscribe = session.onChange(() => this.rebind());
  }

  private get deps(): CheckServiceDeps {
    return this.service.deps;
  }

  // ------------------------------------------------------------ pages

  watch(page: Page, lesson: string | null): void {
    page.lesson = lesson;
    page.sent.clear();
    if (!lesson) return this.scheduler.setPolling(false);
    if (!this.deps.catalog.get(lesson)) {
      page.send({ type: 'error', code: 'unknown_lesson', message: `there is no lesson "${lesson}"` });
      page.lesson = null;
      return;
    }
    if (!this.began.has(lesson)) this.began.set(lesson, Date.now());
    this.rebind();
    this.schedule('watch', false, 0);
  }

  async checkNow(page: Page, lesson: string, exerciseId?: string): Promise<void> {
    const lc = this.deps.catalog.get(lesson);
    if (!lc) return page.send({ type: 'error', code: 'unknown_lesson', message: `there is no lesson "${lesson}"` });
    if (exerciseId && !lc.exercises.some((e) => e.id === exerciseId)) {
      return page.send({ type: 'error', code: 'unknown_exercise', message: `lesson "${lesson}" has no exercise "${exerciseId}"` });
    }
    this.rebind();
    const forced = new Set(lc.exercises.filter((e) => !exerciseId || e.id === exerciseId).map((e) => key(lesson, e.id)));
    await this.runRound({ forced, extra: { page, lesson } });
  }

  async apply(page: Page, lesson: string, exerciseId: string): Promise<void> {
    const ex = this.deps.catalog.get(lesson)?.exercises.find((e) => e.id === exerciseId);
    if (!ex) return page.send({ type: 'error', code: 'unknown_exercise', message: `lesson "${lesson}" has no exercise "${exerciseId}"` });
    const cluster = this.session.cluster;
    if (!cluster || this.session.info.status !== 'ready') {
      return page.send({ type: 'error', code: 'not_ready', message: 'your cluster is not ready: wait for it (or press Reset cluster) and try again' });
    }
    // One Apply at a time per learner: two overlapping solutions would trip over each other.
    const run = this.applying.then(async () => {
      this.log.info('applying a solution', { lesson, exercise: exerciseId });
      const steps = await runSteps((node) => cluster.container(node), ex.solution);
      this.deps.progress.recordApplied(this.session.id, lesson, exerciseId);
      page.send({ type: 'applied', lesson, exerciseId, ok: steps.every((s) => s.exitCode === 0), steps });
      this.schedule('applied', true, 0);
    });
    this.applying = run.catch(() => undefined);
    await run;
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.unbind();
    this.scheduler.dispose();
  }

  // ------------------------------------------------------------ cluster binding

  /** Follow the session's cluster: a reset or a first claim brings a new one. */
  private rebind(): void {
    if (this.disposed) return;
    const cluster = this.session.info.status === 'ready' ? this.session.cluster : undefined;
    if (this.bound?.cluster === cluster) return;
    this.unbind();
    if (cluster) {
      const nodes = cluster.cluster.nodes.map(({ name, ip, containerId }) => ({ name, ip, containerId }));
      // The cluster's shared event streams (one per node, also feeding the visualizer).
      this.bound = { cluster, nodes, stopEvents: () => undefined };
      this.bound.stopEvents = cluster.events.subscribe((m) => this.onEvent(m));
    }
    if (this.watchedLessons().length) this.schedule('cluster changed', false, 0);
  }

  private unbind(): void {
    this.bound?.stopEvents();
    this.bound = null;
    this.latest.clear(); // what was shown was about that cluster
  }

  /** Any event may change a verdict; a stream that (re)connected may have missed some. */
  private onEvent(m: InnerEventsMessage): void {
    if (m.kind === 'lost') return;
    this.schedule(m.kind === 'event' ? `${m.event.type} ${m.event.action}` : 'resync', true);
  }

  // ------------------------------------------------------------ scheduling

  private watchedLessons(): string[] {
    return [...new Set([...this.pages].map((p) => p.lesson).filter((l): l is string => !!l))];
  }

  /** A round soon (see scheduler.ts). `followUp`: re-check later what is still unpassed. */
  schedule(why: string, followUp: boolean, delayMs?: number): void {
    if (this.disposed) return;
    this.scheduler.schedule(why, followUp, delayMs);
  }

  // ------------------------------------------------------------ rounds

  /**
   * Each verdict is published the moment it is read, so one slow answer (an app that hangs until the
   * HTTP check's timeout, a node whose engine is gone) holds back no other exercise. A round may start
   * while an earlier one still waits on such an answer (at most MAX_ROUNDS_IN_FLIGHT at once); a
   * verdict older than one already published for the same exercise is dropped, so pages never go
   * back in time. Requests while both run merge into one more round (an on-demand Check waits for it).
   */
  private runRound(opts: { followUp?: boolean; forced?: Set<string>; extra?: { page: Page; lesson: string } }): Promise<void> {
    const q = (this.queued ??= { followUp: false, forced: new Set(), extras: [], waiters: [] });
    q.followUp ||= !!opts.followUp;
    for (const k of opts.forced ?? []) q.forced.add(k);
    if (opts.extra) q.extras.push(opts.extra);
    const done = new Promise<void>((resolve) => q.waiters.push(resolve));
    this.startRounds();
    return done;
  }

  private startRounds(): void {
    while (this.queued && this.inFlight < MAX_ROUNDS_IN_FLIGHT) {
      const q = this.queued;
      this.queued = null;
      this.inFlight++;
      const round = this.disposed ? Promise.resolve() : this.evaluateRound(q, ++this.roundSeq);
      void round
        .catch((err: unknown) => this.log.error('check round failed', { error: errorMessage(err) }))
        .finally(() => {
          for (const resolve of q.waiters) resolve();
          this.inFlight--;
          this.startRounds();
        });
    }
  }

  private async evaluateRound(opts: Round, seq: number): Promise<void> {
    const lessons = new Set(this.watchedLessons());
    for (const e of opts.extras) lessons.add(e.lesson);
    const bound = this.bound;
    const view = bound ? { read: new LiveClusterView(bound.nodes, this.service.engines, this.deps.hostDocker, this.deps.ipvs), clusterId: bound.cluster.id } : null;
    let unpassed = false;
    let polled = false;
    await Promise.all(
      [...lessons].map(async (lesson) => {
        const lc = this.deps.catalog.get(lesson);
        if (!lc) return;
        const stored = this.deps.progress.lesson(this.session.id, lesson);
        const shown = this.latestOf(lesson, lc.exercises);
        // An exercise that follows another (`after`) is judged once that one's verdict of this round is in (order.ts).
        await verdictsInOrder(
          lc.exercises,
          (id) => hasPassed(stored.get(id)),
          async (ex, notYet): Promise<CheckResult> => {
            const i = lc.exercises.indexOf(ex);
            const k = key(lesson, ex.id);
            const forced = opts.forced.has(k);
            // A pass stays (unless `hold`); one made on an earlier cluster is checked again, to learn whether this cluster has it too.
            const row = stored.get(ex.id);
            const sticky = !!row?.passed && !ex.hold && (row.clusterId === null || !bound || row.clusterId === bound.cluster.id);
            const result = sticky
              ? { exerciseId: ex.id, state: 'passed' as const, message: row.message || 'done' }
              : await this.evaluateExercise(lesson, ex, view, stored.get(ex.id), forced, notYet, seq);
            // The learner's cluster changed meanwhile: nothing of this round is shown.
            if (this.bound !== bound) return result ?? { exerciseId: ex.id, state: 'pending', message: 'checking…' };
            if (!result) {
              // A newer round answered for this exercise first: its verdict stands, but an exercise the
              // learner asked about shows as failed, not pending (what this round would have said).
              const newest = shown[i];
              if (forced && newest?.state !== 'passed') this.asked.add(k);
              if (newest && this.asked.has(k) && newest.state === 'pending') {
                shown[i] = { ...newest, state: 'failed' };
                this.publish(lesson, shown, NO_PAGES);
              }
              return shown[i] ?? { exerciseId: ex.id, state: 'pending', message: 'checking…' };
            }
            if (result.state !== 'passed') {
              unpassed = true;
              if (ex.check && needsPolling(ex.check)) polled = true;
            }
            // Each result says what it is about, for the cluster picture's highlight. An exercise asked
            // about in a round that overlapped this one shows as failed (see above).
            const focus = focusOfCheck(ex.check);
            const state = result.state === 'pending' && view && ex.check && this.asked.has(k) ? 'failed' : result.state;
            shown[i] = { ...result, state, ...(focus ? { focus } : {}) };
            this.publish(lesson, shown, NO_PAGES);
            return result;
          },
        );
        // The pages that asked get an answer, changed or not.
        this.publish(lesson, shown, new Set(opts.extras.filter((e) => e.lesson === lesson).map((e) => e.page)));
      }),
    );
    if (!view) return;
    this.scheduler.roundDone({ followUp: !!opts.followUp, unpassed, polled });
  }

  /** The newest verdicts of a lesson's exercises, kept and updated in place. */
  private latestOf(lesson: string, exercises: readonly CheckedExercise[]): (CheckResult | undefined)[] {
    let shown = this.latest.get(lesson);
    if (!shown || shown.length !== exercises.length) {
      shown = exercises.map(() => undefined);
      this.latest.set(lesson, shown);
    }
    return shown;
  }

  /** Whether round `seq`'s verdict for `k` still counts (no newer round answered first); if so, it is now the newest. */
  private fresh(k: string, seq: number): boolean {
    if ((this.newestVerdict.get(k) ?? 0) > seq) return false;
    this.newestVerdict.set(k, seq);
    return true;
  }

  private async evaluateExercise(
    lesson: string,
    ex: CheckedExercise,
    view: { read: LiveClusterView; clusterId: string } | null,
    stored: ExerciseProgress | undefined,
    forced: boolean,
    /** Set while the exercise this one follows has not passed: the verdict fails with these words. */
    notYet: string | null,
    seq: number,
  ): Promise<CheckResult | null> {
    const k = key(lesson, ex.id);
    if (!ex.check) return { exerciseId: ex.id, state: 'pending', message: 'this exercise has no automatic check' };
    if (!view) {
      const status = this.session.info.status;
      const message = status === 'ready' ? 'checking…' : status === 'failed' ? 'your cluster could not start: press Reset cluster' : 'your cluster is starting';
      return { exerciseId: ex.id, state: 'pending', message };
    }
    const outcome = notYet !== null ? fail(notYet) : await evaluate(ex.check, view.read, { since: this.began.get(lesson) ?? Date.now() });
    // A newer round answered while this one waited (a slow HTTP answer): its verdict stands, this one is dropped unrecorded.
    // So is every verdict that arrives after the learner's pages (or the server) closed.
    if (this.disposed || !this.fresh(k, seq)) return null;
    const wasPassed = stored?.passed ?? false;
    const { clusterId } = view;
    // Passes (and a `hold` exercise turning back) are stored with their cluster; so is a new failing message, for the instructor's room view.
    const turned = outcome.passed !== wasPassed && (outcome.passed || ex.hold);
    const newFailure = !outcome.passed && !wasPassed && stored?.message !== outcome.message;
    const passedOnThisCluster = outcome.passed && wasPassed && stored?.clusterId !== clusterId;
    if (turned || newFailure || passedOnThisCluster) {
      this.deps.progress.record(this.session.id, lesson, ex.id, outcome.passed, outcome.message, { clusterId });
      if (turned && outcome.passed) this.log.info('exercise passed', { lesson, exercise: ex.id });
    }
    // Passed on an earlier cluster, not (yet) on this one: still the learner's pass.
    if (!outcome.passed && wasPassed && !ex.hold) return { exerciseId: ex.id, state: 'passed', message: stored?.message || 'done' };
    if (outcome.passed) this.asked.delete(k);
    else if (forced) this.asked.add(k);
    const state = outcome.passed ? 'passed' : this.asked.has(k) ? 'failed' : 'pending';
    const hostNote = outcome.notes.length ? outcome.notes.join(' ') : undefined;
    return { exerciseId: ex.id, state, message: outcome.message, ...(hostNote ? { hostNote } : {}) };
  }

  /** Send a lesson's verdicts to the pages watching it (when they changed) and to `requesters`; only once every exercise was judged. */
  private publish(lesson: string, shown: (CheckResult | undefined)[], requesters: ReadonlySet<Page>): void {
    const results = shown.filter((r) => r !== undefined);
    if (results.length < shown.length) return;
    const msg: ServerMessage = { type: 'checks', lesson, results };
    const json = JSON.stringify(msg);
    for (const page of this.pages) {
      const asked = requesters.has(page);
      // The requester of an on-demand check always gets an answer, changed or not.
      if (!(page.lesson === lesson || asked) || (page.sent.get(lesson) === json && !asked)) continue;
      page.sent.set(lesson, json);
      page.send(msg);
    }
  }
}

const key = (lesson: string, exerciseId: string) => `${lesson}/${exerciseId}`;
/**
 * Rounds of one learner that may run at once: a second starts while the first waits on a slow answer
 * (an HTTP check's 3 s timeout), so a Docker event's verdict never waits for it; a hung app costs one
 * more probe, not an unbounded pile.
 */
const MAX_ROUNDS_IN_FLIGHT = 2;
const NO_PAGES: ReadonlySet<Page> = new Set();

/** One round of checks to run: what asked for it. */
interface Round {
  followUp: boolean;
  /** Exercises checked on demand (`lesson/id`): shown as failed when they do not pass. */
  forced: Set<string>;
  /** Pages that asked and must get an answer, changed or not. */
  extras: { page: Page; lesson: string }[];
  waiters: (() => void)[];
}
