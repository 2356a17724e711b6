/**
 * Deadlines stretch by SWB_TEST_SLACK: `npm test` sets it while the integration files and the
 * lesson walk share the machine's two cores. A deadline only bounds how long a failure takes to
 * show, so a longer one costs a passing run nothing.
 */
import { retryUntil } from '../../sandbox-server/src/retry.ts';

const slack = Math.max(1, Number(process.env.SWB_TEST_SLACK) || 1);

/** A bound on how long something may take ("not a hang"), stretched like every deadline. */
export const withSlack = (ms: number): number => ms * slack;

/** Poll a condition until it holds or the deadline passes (tests never sleep blindly). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  detail?: () => string,
): Promise<void> {
  timeoutMs *= slack;
  const held = await retryUntil(condition, Boolean, { everyMs: 10, timeoutMs });
  if (!held) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n--- last output ---\n${detail()}` : ''}`);
}
