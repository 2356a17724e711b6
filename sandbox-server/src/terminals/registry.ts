/**
 * The shells of one cluster, keyed by the browser's terminal id: at most `max` at once (each is a
 * `docker exec` bash in a node, and a client can invent ids), and a shell nobody has watched for
 * `idleMs` is closed. Shells that exited leave the set at once.
 */
import type { TerminalSession } from './terminal.ts';

export interface TerminalLimits {
  /** Most shells open at once in one cluster. */
  max: number;
  /** A shell with no viewer and no output or input for this long is closed. */
  idleMs: number;
}

export const DEFAULT_TERMINAL_LIMITS: TerminalLimits = { max: 12, idleMs: 30 * 60_000 };

/** Refusal of a shell past the cap (the message the learner sees). */
export class TooManyTerminals extends Error {
  constructor(max: number) {
    super(`this cluster already has ${max} shells open (the most allowed): close a terminal tab you no longer use`);
    this.name = 'TooManyTerminals';
  }
}

interface Entry {
  starting: Promise<TerminalSession>;
  term?: TerminalSession;
}

export class TerminalSet {
  private readonly entries = new Map<string, Entry>();
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly limits: TerminalLimits = DEFAULT_TERMINAL_LIMITS) {}

  /** Bytes read from every open shell so far (tests and the benchmark prove flow control with it). */
  get outputBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.term?.scrollback.end ?? 0;
    return n;
  }

  /** Shells open or starting. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The shell with this id when it runs on `node`; otherwise one started with `start` (refused past
   * the cap: a shell replaced under the same id does not count twice).
   */
  async get(id: string, node: string, start: () => Promise<TerminalSession>): Promise<TerminalSession> {
    const existing = this.entries.get(id);
    if (existing) {
      const term = await existing.starting.catch(() => undefined);
      if (term && !term.exited && term.node === node && this.entries.get(id) === existing) return term;
      if (this.entries.get(id) === existing) this.entries.delete(id);
      term?.close();
    }
    if (this.entries.size >= this.limits.max) throw new TooManyTerminals(this.limits.max);
    const entry: Entry = { starting: start() };
    this.entries.set(id, entry);
    this.startSweeping();
    try {
      const term = await entry.starting;
      entry.term = term;
      const forget = () => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      };
      if (term.exited) forget();
      else term.onGone = forget;
      return term;
    } catch (err) {
      if (this.entries.get(id) === entry) this.entries.delete(id);
      throw err;
    }
  }

  /** Close shells that had viewers, have none now and did nothing for idleMs. */
  sweep(now = Date.now()): number {
    let closed = 0;
    for (const entry of [...this.entries.values()]) {
      const t = entry.term;
      if (t && t.everWatched && t.viewerCount === 0 && now - t.lastActivity > this.limits.idleMs) {
        t.close();
        closed++;
      }
    }
    return closed;
  }

  closeAll(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const e of [...this.entries.values()]) void e.starting.then((t) => t.close(), () => undefined);
    this.entries.clear();
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, Math.min(60_000, this.limits.idleMs / 4)));
    this.sweeper.unref?.();
  }
}
