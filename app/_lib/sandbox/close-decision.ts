/**
 * What the browser does when the server closes its WebSocket: the close code says whether coming
 * back helps. Pure, so every code's answer is tested without a socket (close-decision.test.ts).
 */
import { closeCodes } from '@contract/protocol.ts';
import type { StoppedReason } from './types.ts';

/**
 * A second input stall this soon after the first means the shell still reads nothing: reconnecting
 * again would only send the learner round the same loop, so the page stops and asks.
 */
export const INPUT_STALL_REPEAT_MS = 5 * 60_000;

export type CloseDecision =
  /** Stay disconnected until the learner acts. `sessionGone`: the next connect needs a new session. */
  | { action: 'stop'; reason: StoppedReason; sessionGone: boolean }
  /** Reconnect; `resetBackoff`: at once, not after the growing delay of a flaky network. */
  | { action: 'reconnect'; resetBackoff: boolean; notice: 'input-stalled' | null };

/**
 * `lastInputStallAt`: when this page last had a socket closed with `inputStalled` (null: never).
 */
export function decideOnClose(code: number, lastInputStallAt: number | null, now: number): CloseDecision {
  switch (code) {
    case closeCodes.noSession:
      return { action: 'stop', reason: 'no-session', sessionGone: true };
    case closeCodes.sessionExpired:
      return { action: 'stop', reason: 'expired', sessionGone: true };
    case closeCodes.replaced:
      return { action: 'stop', reason: 'replaced', sessionGone: true };
    case closeCodes.serverRestart:
      return { action: 'reconnect', resetBackoff: true, notice: null };
    case closeCodes.inputStalled:
      // Once: reconnect so the learner has their shell back, and say why it dropped. Again soon: stop.
      if (lastInputStallAt !== null && now - lastInputStallAt < INPUT_STALL_REPEAT_MS) return { action: 'stop', reason: 'input-stalled', sessionGone: false };
      return { action: 'reconnect', resetBackoff: true, notice: 'input-stalled' };
    case closeCodes.tooManySockets:
      // Coming back would take a socket another tab needs, and be refused again: the learner closes a tab.
      return { action: 'stop', reason: 'too-many-sockets', sessionGone: false };
    default:
      return { action: 'reconnect', resetBackoff: false, notice: null };
  }
}
