/**
 * What a page view does when the server would not give it a session. A 429 (too many new sessions
 * from this network) is not an outage: the page waits as long as the server says and asks again,
 * a bounded number of times, then stops and leaves the next try to the learner. Pure (tested beside).
 */
import { SandboxHttpError } from './http.ts';

/** Refused this many times in a row, a page view stops waiting and shows a Try again button. */
export const MAX_SESSION_WAITS = 5;
/** A 429 without a usable Retry-After waits this long. */
const DEFAULT_WAIT_S = 5;
/** Up to this much is added to each wait, so a class that was refused together does not return in lockstep. */
const WAIT_JITTER_MS = 1000;

export type SessionRetryPlan =
  /** The server asked us to wait (429): its words, and how long. */
  | { kind: 'wait'; delayMs: number; words: string }
  /** Refused too often in a row: stop and ask the learner. */
  | { kind: 'give-up'; words: string }
  /** Down, restarting, unreachable: the usual reconnect backoff, but never sooner than `minDelayMs`. */
  | { kind: 'backoff'; minDelayMs: number; words: string };

/** `waitsSoFar`: 429s in a row already waited out on this page. */
export function planSessionRetry(err: unknown, waitsSoFar: number, random: () => number = Math.random): SessionRetryPlan {
  if (!(err instanceof SandboxHttpError)) return { kind: 'backoff', minDelayMs: 0, words: 'The sandbox server gave an unexpected answer.' };
  if (err.status === 429) {
    if (waitsSoFar >= MAX_SESSION_WAITS) return { kind: 'give-up', words: err.message };
    const seconds = err.retryAfterSeconds ?? DEFAULT_WAIT_S;
    return { kind: 'wait', delayMs: seconds * 1000 + Math.round(random() * WAIT_JITTER_MS), words: err.message };
  }
  return { kind: 'backoff', minDelayMs: (err.retryAfterSeconds ?? 0) * 1000, words: err.message };
}
