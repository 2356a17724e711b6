/**
 * Exercise order (frontmatter `after`). Some steps end in a state the lesson already passed through:
 * "scale the database back to one" holds the moment the app is spread, before the database ever ran
 * two. Such an exercise passes only after the exercise it follows passed in this learner's run of the
 * lesson; until then its verdict fails with words saying what to do first.
 */
import type { ExerciseOrder } from '@contract/lesson.ts';
import type { CheckResult } from '@contract/protocol.ts';
import type { ExerciseProgress } from './progress.ts';

/** What the learner reads while the earlier exercise has not passed: the lesson's words, or the earlier exercise's title. */
export function notYetMessage(after: ExerciseOrder, earlierTitle: string): string {
  return after.why ?? `first: ${earlierTitle.replace(/\.$/, '')} (the exercise before this one); this step counts only after it`;
}

/**
 * Whether a stored record says the exercise has passed: it passes now, or it passed once (a `hold`
 * exercise that turned back still passed before; its first pass time stays).
 */
export const hasPassed = (p: ExerciseProgress | undefined): boolean => !!p && (p.passed || p.passedAt !== null);

/**
 * One round's verdicts for a lesson's exercises, in lesson order: an exercise with `after` waits for
 * this round's verdict of the one it follows, and `verdict` gets `notYet` (the message to fail with)
 * when that one has not passed, in this round or before (`passedBefore`, from the progress store).
 * Exercises without an order are judged at once, side by side. The lesson schema rejects cycles, so
 * every wait ends.
 */
export function verdictsInOrder<E extends { id: string; title: string; after?: ExerciseOrder }>(
  exercises: readonly E[],
  passedBefore: (id: string) => boolean,
  verdict: (ex: E, notYet: string | null) => Promise<CheckResult>,
): Promise<CheckResult[]> {
  const byId = new Map(exercises.map((e) => [e.id, e]));
  const started = new Map<string, Promise<CheckResult>>();
  const verdictOf = (ex: E): Promise<CheckResult> => {
    let result = started.get(ex.id);
    if (!result) {
      const earlier = ex.after ? byId.get(ex.after.id) : undefined;
      result = earlier
        ? verdictOf(earlier).then((r) => verdict(ex, passedBefore(earlier.id) || r.state === 'passed' ? null : notYetMessage(ex.after!, earlier.title)))
        : verdict(ex, null);
      started.set(ex.id, result);
    }
    return result;
  };
  return Promise.all(exercises.map(verdictOf));
}
