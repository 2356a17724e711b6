/**
 * Evaluate a check against one read of a cluster. Pure apart from the
 * ClusterView it is given: the same function runs live, in unit specs over
 * captured JSON, and in the lesson tests.
 */
import type { Check } from '@contract/checks.ts';
import type { ClusterView } from './engine.ts';
import { entryOf } from './kinds.ts';
import { type CheckContext, type Outcome, fail, pass } from './outcome.ts';

export type { CheckContext, Outcome } from './outcome.ts';

/** How a verdict that could not read the cluster begins (the learner's next Check, or the next round, asks again). */
export const UNREADABLE = 'the check could not read your cluster';

/** `ctx.since`: when the learner began the lesson; a `rescheduled` check counts only failures after it. */
export async function evaluate(check: Check, view: ClusterView, ctx: CheckContext = {}): Promise<Outcome> {
  try {
    return await evaluateKind(check, view, ctx);
  } catch (err) {
    // A check must never take the server down; say what happened instead.
    return fail(`${UNREADABLE}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function evaluateKind(c: Check, view: ClusterView, ctx: CheckContext): Promise<Outcome> {
  if ('all' in c) return all(c.all, view, ctx);
  if ('any' in c) return any(c.any, view, ctx);
  return entryOf(c).evaluate(view, ctx);
}

const unique = (xs: string[]) => [...new Set(xs)];

async function all(checks: Check[], view: ClusterView, ctx: CheckContext): Promise<Outcome> {
  const outcomes = await Promise.all(checks.map((c) => evaluate(c, view, ctx)));
  const failed = outcomes.filter((o) => !o.passed);
  const notes = unique(outcomes.flatMap((o) => o.notes));
  if (!failed.length) return pass(outcomes.map((o) => o.message).join('; '), notes);
  // The checks of an `all` are written in the order a learner fixes things: name the first
  // problem, and only count the rest, so the message stays one readable sentence.
  const more = failed.length > 1 ? `; then ${failed.length - 1} more ${failed.length === 2 ? 'thing' : 'things'} to do` : '';
  return fail(`${failed[0]!.message}${more}`, notes);
}

async function any(checks: Check[], view: ClusterView, ctx: CheckContext): Promise<Outcome> {
  const outcomes = await Promise.all(checks.map((c) => evaluate(c, view, ctx)));
  const passed = outcomes.find((o) => o.passed);
  if (passed) return passed;
  return fail(`none of these holds yet: ${outcomes.map((o) => o.message).join('; or ')}`, unique(outcomes.flatMap((o) => o.notes)));
}

/** Kinds whose state can change without a Docker event (pages, files: `polled` in kinds.ts) are polled while unpassed. */
export function needsPolling(c: Check): boolean {
  if ('all' in c) return c.all.some(needsPolling);
  if ('any' in c) return c.any.some(needsPolling);
  return entryOf(c).polled;
}
