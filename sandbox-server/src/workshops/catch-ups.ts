/**
 * "Bring everyone to lesson N", per learner: the catch-ups of a room run a few
 * at a time (each runs docker commands on its learner's nodes, and this host
 * has few cores), each with a status the dashboard shows until the next one.
 */
import type { CatchUpResult, CatchUpStep } from '../checks/catch-up.ts';
import { errorMessage } from '../log.ts';
import type { DashboardLearner } from '@contract/workshop.ts';
import type { LearnerSession } from '../sessions/manager.ts';

/** What a catch-up needs from the checks (CheckService fits). */
export interface CatchUpRunner {
  notDoneHere(session: LearnerSession, lessons: string[]): CatchUpStep[];
  catchUp(session: LearnerSession, steps: CatchUpStep[], onStep: (done: number, current: string) => void): Promise<CatchUpResult>;
}

type CatchUpStatus = NonNullable<DashboardLearner['catchUp']>;

const PARALLEL = 3;

export class CatchUps {
  private readonly statuses = new Map<string, CatchUpStatus>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly runner: CatchUpRunner,
    /** The learner's cluster, claimed again if it is being reset. */
    private readonly ensureCluster: (session: LearnerSession) => Promise<unknown>,
  ) {}

  status(learnerId: string): CatchUpStatus | undefined {
    return this.statuses.get(learnerId);
  }

  /**
   * Queue a catch-up of `earlier` lessons on this learner's cluster, unless one
   * is queued or running. Returns false when there was nothing to do.
   */
  start(learnerId: string, session: LearnerSession, lesson: string, earlier: string[], changed: () => void): boolean {
    const state = this.statuses.get(learnerId)?.state;
    if (state === 'waiting' || state === 'running') return false;
    const steps = this.runner.notDoneHere(session, earlier);
    if (!steps.length) return false;
    this.statuses.set(learnerId, { lesson, done: 0, total: steps.length, state: 'waiting' });
    void this.run(learnerId, session, steps, changed);
    return true;
  }

  close(): void {
    this.closed = true;
  }

  private async run(learnerId: string, session: LearnerSession, steps: CatchUpStep[], changed: () => void): Promise<void> {
    const update = (patch: Partial<CatchUpStatus>) => {
      this.statuses.set(learnerId, { ...this.statuses.get(learnerId)!, ...patch });
      if (!this.closed) changed();
    };
    if (this.running >= PARALLEL) await new Promise<void>((go) => this.waiting.push(go));
    this.running++;
    try {
      if (this.closed) return;
      await this.ensureCluster(session);
      update({ state: 'running' });
      const result = await this.runner.catchUp(session, steps, (done, current) => update({ done, message: current }));
      if (result.stopped) update({ state: 'stopped', message: `${result.stopped.key}: ${result.stopped.message}` });
      else update({ state: 'done', done: steps.length, message: undefined });
    } catch (err) {
      update({ state: 'stopped', message: errorMessage(err) });
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
