/**
 * Reconnect delays: quick first retries (a server restart takes a second),
 * then exponential up to a ceiling, with jitter so a room full of learners
 * does not reconnect in lockstep.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** 0..1: each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
}

export function reconnectDelay(attempt: number, random: () => number = Math.random, opts: BackoffOptions = {}): number {
  const { baseMs = 500, maxMs = 15_000, jitter = 0.2 } = opts;
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const factor = 1 - jitter + 2 * jitter * random();
  return Math.round(Math.min(maxMs, raw * factor));
}
