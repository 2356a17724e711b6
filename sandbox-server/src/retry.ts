/**
 * The one retry helper: ask again until the answer is good or the deadline passes. For a plain
 * wait, `setTimeout` from `node:timers/promises` is all that is meant.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Call `attempt` at once, then every `everyMs` while `ok` rejects its answer and time is left: until
 * `deadline` (ms since the epoch), or for `timeoutMs` counted from the first answer. The last answer
 * comes back either way, so the caller says what running out of time means (a failure to report,
 * an error to throw).
 */
export async function retryUntil<T>(
  attempt: () => T | Promise<T>,
  ok: (answer: T) => boolean,
  opts: { everyMs: number } & ({ deadline: number } | { timeoutMs: number }),
): Promise<T> {
  let answer = await attempt();
  const deadline = 'deadline' in opts ? opts.deadline : Date.now() + opts.timeoutMs;
  while (!ok(answer) && Date.now() < deadline) {
    await sleep(opts.everyMs);
    answer = await attempt();
  }
  return answer;
}
