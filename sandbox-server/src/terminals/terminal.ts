/**
 * One shell on one node: a `docker exec` with a TTY whose output is kept in a
 * scrollback and fanned out to any number of viewers (browser tabs, a reload,
 * later an instructor). The shell outlives its viewers, so a reload reattaches.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { LAB_DIR } from '../protocol/index.js';
import { Scrollback } from './scrollback.js';

/** Stop reading the shell when the slowest viewer is this far behind... */
const HIGH_WATERMARK = 1024 * 1024;
/** ...and resume once it has caught up to here. */
const LOW_WATERMARK = 256 * 1024;

export interface TerminalViewer {
  /** Output bytes starting at absolute stream offset `from`. */
  output(data: Buffer): void;
  exited(code: number | null): void;
}

interface ViewerState {
  acked: number;
}

export class TerminalSession {
  readonly scrollback: Scrollback;
  private readonly viewers = new Map<TerminalViewer, ViewerState>();
  private paused = false;
  private exitedCode: number | null | undefined = undefined;
  lastActivity = Date.now();

  private constructor(
    readonly id: string,
    readonly node: string,
    private readonly exec: Docker.Exec,
    private readonly stream: Duplex,
    scrollbackBytes: number,
  ) {
    this.scrollback = new Scrollback(scrollbackBytes);
    stream.on('data', (chunk: Buffer) => this.onOutput(chunk));
    stream.on('end', () => void this.onEnd());
    stream.on('error', () => void this.onEnd());
  }

  static async start(opts: {
    container: Docker.Container;
    id: string;
    node: string;
    cols: number;
    rows: number;
    scrollbackBytes: number;
  }): Promise<TerminalSession> {
    const exec = await opts.container.exec({
      Cmd: ['/bin/bash', '-l'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      WorkingDir: LAB_DIR,
      Env: ['TERM=xterm-256color', `COLUMNS=${opts.cols}`, `LINES=${opts.rows}`],
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
    const session = new TerminalSession(opts.id, opts.node, exec, stream, opts.scrollbackBytes);
    session.resize(opts.cols, opts.rows);
    return session;
  }

  get exited(): boolean {
    return this.exitedCode !== undefined;
  }

  /** Attach a viewer; returns the replay (from the offset it already has). */
  attach(viewer: TerminalViewer, offset: number | undefined): { from: number; data: Buffer } {
    const replay = this.scrollback.since(offset ?? 0);
    this.viewers.set(viewer, { acked: replay.from });
    return replay;
  }

  detach(viewer: TerminalViewer): void {
    this.viewers.delete(viewer);
    this.updateFlow();
  }

  ack(viewer: TerminalViewer, offset: number): void {
    const state = this.viewers.get(viewer);
    if (!state) return;
    state.acked = Math.min(Math.max(state.acked, offset), this.scrollback.end);
    this.updateFlow();
  }

  write(data: Buffer): void {
    if (this.exited) return;
    this.lastActivity = Date.now();
    this.stream.write(data);
  }

  resize(cols: number, rows: number): void {
    // The exec may not be running yet for a few ms after start; a failed resize is harmless.
    this.exec.resize({ w: cols, h: rows }).catch(() => undefined);
  }

  close(): void {
    this.stream.destroy();
  }

  private onOutput(chunk: Buffer): void {
    this.lastActivity = Date.now();
    this.scrollback.append(chunk);
    for (const viewer of this.viewers.keys()) viewer.output(chunk);
    this.updateFlow();
  }

  private async onEnd(): Promise<void> {
    if (this.exited) return;
    let code: number | null = null;
    try {
      code = (await this.exec.inspect()).ExitCode ?? null;
    } catch {
      // The node itself is gone: no exit code to report.
    }
    this.exitedCode = code;
    for (const viewer of this.viewers.keys()) viewer.exited(code);
    this.viewers.clear();
  }

  /** Backpressure: a flood of output pauses the shell instead of freezing a browser. */
  private updateFlow(): void {
    let behind = 0;
    for (const state of this.viewers.values()) behind = Math.max(behind, this.scrollback.end - state.acked);
    if (!this.paused && behind > HIGH_WATERMARK) {
      this.paused = true;
      this.stream.pause();
    } else if (this.paused && behind < LOW_WATERMARK) {
      this.paused = false;
      this.stream.resume();
    }
  }
}
