/**
 * When a learner's checks run: the timing of live rounds, apart from what a round does (checker.ts).
 *
 * - Docker events come in bursts: a round runs after `debounceMs` of quiet, but never later than
 *   `maxWaitMs` after the first request of a burst.
 * - A round that follows a change and leaves exercises unpassed is looked at again `settleMs` later
 *   (1 s, 3 s and 10 s: the manager learns task states a moment after the containers start, without an
 *   event of its own); a newer change replaces those re-looks.
 * - Checks no Docker event announces (http, file) are polled every `pollMs` while unpassed.
 */

export interface RoundTiming {
  /** Quiet time after the last event before checking (events come in bursts). */
  debounceMs?: number;
  /** ...but never wait longer than this after the first event of a burst. */
  maxWaitMs?: number;
  /** Re-check unpassed exercises after an event-driven round at these delays. */
  settleMs?: number[];
  /** Poll interval for unpassed checks no Docker event announces (http, file). */
  pollMs?: number;
}

export class RoundScheduler {
  private debounce: NodeJS.Timeout | undefined;
  private maxWait: NodeJS.Timeout | undefined;
  private settleTimers: NodeJS.Timeout[] = [];
  private poll: NodeJS.Timeout | undefined;
  private pendingFollowUp = false;
  private disposed = false;

  /**
   * `fire(followUp)`: run a round now (`followUp`: one of the requests it answers was a change, so
   * what stays unpassed is looked at again). `active()`: whether anything is watched at all.
   * `busy()`: a round is running; a poll then is skipped (that round reads the same things).
   */
  constructor(
    private readonly timing: RoundTiming,
    private readonly fire: (followUp: boolean) => void,
    private readonly active: () => boolean,
    private readonly busy: () => boolean = () => false,
  ) {}

  /**
   * A round soon: after `debounceMs` (or `delayMs`) of quiet, at most `maxWaitMs` after the first
   * request. `followUp`: re-check later what is still unpassed.
   */
  schedule(_why: string, followUp: boolean, delayMs = this.timing.debounceMs ?? 200): void {
    if (this.disposed || !this.active()) return;
    if (followUp) this.clearSettle();
    const fire = () => {
      clearTimeout(this.debounce);
      clearTimeout(this.maxWait);
      this.debounce = this.maxWait = undefined;
      const f = followUp || this.pendingFollowUp;
      this.pendingFollowUp = false;
      this.fire(f);
    };
    this.pendingFollowUp ||= followUp;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(fire, delayMs);
    this.maxWait ??= setTimeout(fire, Math.max(delayMs, this.timing.maxWaitMs ?? 600));
  }

  /** After a round on a cluster: poll while `polled` checks stay unpassed; re-look if a change left some unpassed. */
  roundDone(r: { followUp: boolean; unpassed: boolean; polled: boolean }): void {
    this.setPolling(r.polled);
    if (r.followUp && r.unpassed) {
      this.clearSettle();
      this.settleTimers = (this.timing.settleMs ?? [1000, 3000, 10_000]).map((ms) => setTimeout(() => this.schedule('settle', false, 0), ms));
    }
  }

  /** Poll (a round every `pollMs`) or stop polling. */
  setPolling(on: boolean): void {
    if (on && !this.poll && !this.disposed) {
      this.poll = setInterval(() => this.busy() || this.schedule('poll', false, 0), this.timing.pollMs ?? 2000);
      this.poll.unref();
    } else if (!on && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.debounce);
    clearTimeout(this.maxWait);
    clearInterval(this.poll);
    this.clearSettle();
  }

  private clearSettle(): void {
    for (const t of this.settleTimers) clearTimeout(t);
    this.settleTimers = [];
  }
}
