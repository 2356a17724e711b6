/**
 * One limiter for everything counted per network (new sessions, wrong join codes): a token bucket
 * per key. A key starts with `burst` tokens and gets them back steadily, `burst` per `periodMs`,
 * so a crowd behind one NAT arriving at once passes and a flood is held to the refill rate.
 *
 * The map is bounded: past `maxKeys` the least recently counted key is forgotten (it starts full
 * again). Someone with many networks (an IPv6 /48 holds 65536 /64s) can thus buy a fresh budget,
 * but only by spending `maxKeys` counted events first, and the memory a flood costs stays fixed.
 */
export class RateLimit {
  /** Insertion order is recency: a counted key is moved to the end, the first is the oldest. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly periodMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one event: 0 when allowed, else the seconds until one is (a refused event is not counted). */
  hit(key: string, now = Date.now()): number {
    const tokens = this.tokens(key, now);
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed ? 0 : this.wait(tokens);
  }

  /** Seconds to wait for this key now (0: an event would be allowed), without counting. */
  blocked(key: string, now = Date.now()): number {
    const tokens = this.tokens(key, now);
    return tokens >= 1 ? 0 : this.wait(tokens);
  }

  /** Keys remembered now (never more than maxKeys). */
  get size(): number {
    return this.buckets.size;
  }

  private tokens(key: string, now: number): number {
    const b = this.buckets.get(key);
    if (!b) return this.burst;
    return Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) * this.burst) / this.periodMs);
  }

  private wait(tokens: number): number {
    return Math.max(1, Math.ceil(((1 - tokens) * this.periodMs) / this.burst / 1000));
  }
}
