/**
 * Apply solution: run an exercise's solution commands on the learner's nodes,
 * one after another, each as a non-interactive `docker exec` in the node
 * container (the same shell the learner's terminal has, without a TTY), with
 * the output captured for the page. Every exec has a server-side deadline
 * (engine/node-exec.ts): the node's own `timeout` is the learner's to break.
 */
import type Docker from 'dockerode';
import { execInNode, NodeExecError } from '../engine/node-exec.ts';
import { LAB_DIR, type AppliedStep, type NodeName } from '@contract/protocol.ts';

/** A solution that has not finished by then is stuck (e.g. waiting for a task that can never start). */
export const STEP_TIMEOUT_S = 120;
/** The server waits this much longer than the node's `timeout` (which kills 5 s after TERM) before it gives up itself. */
export const DEADLINE_GRACE_S = 10;

export interface StepOptions {
  /** The node's name, for messages (default: the container's id). */
  node?: string;
  /** Server-side deadline (default: timeoutS + DEADLINE_GRACE_S). */
  deadlineMs?: number;
}

/** Throws a NodeExecError (in words) when the node does not finish it by the deadline. */
export async function runStep(container: Docker.Container, command: string, timeoutS = STEP_TIMEOUT_S, opts: StepOptions = {}): Promise<{ exitCode: number | null; output: string }> {
  const { exitCode, output } = await execInNode(
    container,
    // `timeout` ends the step's whole process group when it hangs, as long as the learner left `timeout` alone.
    ['timeout', '--kill-after=5', String(timeoutS), 'bash', '-c', command],
    {
      node: opts.node ?? container.id.slice(0, 12),
      what: command,
      deadlineMs: opts.deadlineMs ?? (timeoutS + DEADLINE_GRACE_S) * 1000,
      workingDir: LAB_DIR,
      env: ['TERM=dumb'],
    },
  );
  return { exitCode, output: exitCode === 124 ? `${output}\n(stopped after ${timeoutS} s)` : output };
}

export interface RanSteps {
  steps: AppliedStep[];
  /** Set when a step broke the server's deadline: the rest were not run (the node does not finish what it is given). */
  stuck?: string;
}

/**
 * Every step in order, whatever the exit codes (later steps may not depend on earlier ones
 * succeeding), but not past a step that broke its deadline: each would only wait out its own.
 */
export async function runStepsReport(
  containerOf: (node: NodeName) => Docker.Container | undefined,
  steps: { node: NodeName; run: string }[],
  opts: { deadlineMs?: number } = {},
): Promise<RanSteps> {
  const results: AppliedStep[] = [];
  let stuck: string | undefined;
  for (const step of steps) {
    const container = containerOf(step.node);
    if (stuck) {
      results.push({ node: step.node, run: step.run, exitCode: null, output: 'not run: an earlier step did not finish' });
    } else if (!container) {
      results.push({ node: step.node, run: step.run, exitCode: null, output: `there is no node ${step.node} in your cluster` });
    } else {
      try {
        results.push({ node: step.node, run: step.run, ...(await runStep(container, step.run, STEP_TIMEOUT_S, { node: step.node, deadlineMs: opts.deadlineMs })) });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof NodeExecError && err.kind === 'time') stuck = message;
        results.push({ node: step.node, run: step.run, exitCode: null, output: `could not run it: ${message}` });
      }
    }
  }
  return { steps: results, stuck };
}

export async function runSteps(
  containerOf: (node: NodeName) => Docker.Container | undefined,
  steps: { node: NodeName; run: string }[],
  opts: { deadlineMs?: number } = {},
): Promise<AppliedStep[]> {
  return (await runStepsReport(containerOf, steps, opts)).steps;
}
