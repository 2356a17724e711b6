/**
 * Catch-up: bring a learner's cluster to the start of a lesson by applying,
 * in lesson order, the solution of every earlier exercise they have not
 * passed. Each solution is checked before the next one runs, because later
 * solutions build on the state earlier ones leave (a service needs the swarm).
 * A workshop's "bring everyone to lesson N" runs this for every learner.
 */
import type Docker from 'dockerode';
import type { LiveCluster } from '../clusters/live.ts';
import { retryUntil } from '../retry.ts';
import { runStepsReport } from './apply.ts';
import type { CheckedExercise, LessonCatalog } from './catalog.ts';
import { evaluate } from './evaluate.ts';
import { InnerEngines, LiveClusterView } from './live-view.ts';
import type { ProgressStore } from './progress.ts';

export interface CatchUpDeps {
  catalog: LessonCatalog;
  progress: ProgressStore;
  engines: InnerEngines;
  hostDocker: Docker;
  ipvs: boolean;
  /** Server-side deadline of each solution command (default: apply.ts's). */
  execDeadlineMs?: number;
}

export interface CatchUpTarget {
  sessionId: string;
  cluster: LiveCluster;
}

export interface CatchUpStep {
  lesson: string;
  exercise: CheckedExercise;
}

/** How it went: exercises brought to passing, and where it stopped if it did. */
export interface CatchUpResult {
  applied: string[];
  stopped?: { key: string; message: string };
}

/** A solution's state takes a moment to settle (tasks start, images unpack): poll its check this long. */
const SETTLE_TIMEOUT_MS = 150_000;
const SETTLE_POLL_MS = 1000;

/**
 * The exercises of `lessons` not done on this cluster, in order (what a
 * catch-up would apply): never passed, or passed on a cluster since reset.
 */
export function catchUpSteps(deps: Pick<CatchUpDeps, 'catalog' | 'progress'>, sessionId: string, clusterId: string, lessons: string[]): CatchUpStep[] {
  return lessons.flatMap((lesson) => {
    const stored = deps.progress.lesson(sessionId, lesson);
    const doneHere = (id: string) => {
      const p = stored.get(id);
      return !!p?.passed && (p.clusterId === null || p.clusterId === clusterId);
    };
    return (deps.catalog.get(lesson)?.exercises ?? []).filter((e) => !doneHere(e.id) && (e.check || e.solution.length)).map((exercise) => ({ lesson, exercise }));
  });
}

export async function catchUp(
  deps: CatchUpDeps,
  target: CatchUpTarget,
  steps: CatchUpStep[],
  onStep: (done: number, current: string) => void,
  settleTimeoutMs = SETTLE_TIMEOUT_MS,
): Promise<CatchUpResult> {
  const { cluster, sessionId } = target;
  const nodes = cluster.cluster.nodes.map(({ name, ip, containerId }) => ({ name, ip, containerId }));
  // `since`: only what happens from this exercise's start counts (a task that failed earlier is not this exercise's failure).
  let since = Date.now();
  const verdict = (ex: CheckedExercise) => evaluate(ex.check!, new LiveClusterView(nodes, deps.engines, deps.hostDocker, deps.ipvs), { since });
  const applied: string[] = [];

  for (const [i, { lesson, exercise }] of steps.entries()) {
    const key = `${lesson}/${exercise.id}`;
    onStep(i, key);
    since = Date.now();
    // Already true on the cluster (done while no page was checking): record it, apply nothing.
    if (exercise.check) {
      const now = await verdict(exercise);
      if (now.passed) {
        deps.progress.record(sessionId, lesson, exercise.id, true, now.message, { clusterId: cluster.id });
        continue;
      }
    }
    const { steps: ran, stuck } = await runStepsReport((node) => cluster.container(node), exercise.solution, { deadlineMs: deps.execDeadlineMs });
    deps.progress.recordApplied(sessionId, lesson, exercise.id);
    applied.push(key);
    // A node that does not finish a command would only hold this catch-up's shared slot longer.
    if (stuck) return { applied, stopped: { key, message: `the catch-up could not finish: ${stuck}` } };
    if (!exercise.check) continue;
    const last = await retryUntil(() => verdict(exercise), (v) => v.passed, { everyMs: SETTLE_POLL_MS, timeoutMs: settleTimeoutMs });
    if (!last.passed) {
      const failedStep = ran.find((s) => s.exitCode !== 0);
      const why = failedStep ? `\`${failedStep.run}\` on ${failedStep.node} failed: ${failedStep.output.trim().split('\n').pop() ?? ''}` : last.message;
      return { applied, stopped: { key, message: why } };
    }
    deps.progress.record(sessionId, lesson, exercise.id, true, last.message, { clusterId: cluster.id });
  }
  onStep(steps.length, '');
  return { applied };
}
