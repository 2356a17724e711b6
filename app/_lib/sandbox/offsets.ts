/**
 * Byte bookkeeping for one terminal view, so a reconnect neither duplicates
 * nor loses output, and flow-control acks report what xterm really rendered.
 *
 * All positions are absolute offsets in the terminal's output stream as the
 * server numbers it. Pure and synchronous: unit-tested in offsets.test.ts.
 */
import { ACK_STEP_BYTES } from '@contract/protocol.ts';

export type OpenedOutcome =
  /** Output continues exactly where we were (or a fresh view starts). */
  | { kind: 'continue' }
  /** The server no longer had `lost` bytes we never saw (scrollback trimmed). */
  | { kind: 'gap'; lost: number }
  /**
   * The server's stream starts before what we already have: it is a new
   * stream (a new shell), so the view must be cleared and rendered afresh.
   */
  | { kind: 'restart' };

export class StreamOffsets {
  /** Next byte we expect; null until the first `opened` of a fresh view. */
  private received: number | null = null;
  /** Everything before this offset has been rendered by the terminal. */
  private rendered = 0;
  private acked = 0;

  constructor(private readonly ackStep = ACK_STEP_BYTES) {}

  /** `offset` for the `open` message: undefined on a fresh view = replay the scrollback. */
  openOffset(): number | undefined {
    return this.received ?? undefined;
  }

  /** Forget everything: the next open replays the whole scrollback into a cleared view. */
  reset(): void {
    this.received = null;
    this.rendered = 0;
    this.acked = 0;
  }

  onOpened(serverOffset: number): OpenedOutcome {
    if (this.received === null) {
      this.received = this.rendered = this.acked = serverOffset;
      return { kind: 'continue' };
    }
    if (serverOffset === this.received) return { kind: 'continue' };
    if (serverOffset > this.received) {
      const lost = serverOffset - this.received;
      this.received = serverOffset;
      return { kind: 'gap', lost };
    }
    this.received = this.rendered = this.acked = serverOffset;
    return { kind: 'restart' };
  }

  /** Account for output bytes; returns the stream offset right after them (pass it to onRendered). */
  onOutput(length: number): number {
    if (this.received === null) this.received = 0; // output before `opened`: should not happen; count from 0
    this.received += length;
    return this.received;
  }

  /**
   * The terminal finished rendering everything before `end`. Returns the
   * offset to acknowledge when a full ack step has accumulated, else null.
   */
  onRendered(end: number): number | null {
    if (end > this.rendered) this.rendered = end;
    if (this.rendered - this.acked >= this.ackStep) {
      this.acked = this.rendered;
      return this.acked;
    }
    return null;
  }

  /** Offset to acknowledge when output goes quiet (the remainder below a step), else null. */
  flushAck(): number | null {
    if (this.rendered > this.acked) {
      this.acked = this.rendered;
      return this.acked;
    }
    return null;
  }

  get receivedBytes(): number {
    return this.received ?? 0;
  }

  get renderedBytes(): number {
    return this.rendered;
  }
}
