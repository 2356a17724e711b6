/**
 * One simulated learner of the ramp: a session and a claimed cluster through the real HTTP routes,
 * one real WebSocket, real shells on the three nodes. It follows the seed path at a human pace
 * (reads, then pastes a step's command into the node's tab) while a fourth, idle shell on the
 * manager is probed for keystroke echo every few seconds. Event-driven throughout (no polling of
 * terminal text): the server runs in this same process, and the bench must not eat its CPU.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ACK_STEP_BYTES, serverMessage, type NodeName } from '@contract/protocol.ts';
import { Learner } from '../../test/helpers/learner.ts';
import type { PathStep } from './seed-path.ts';

export interface WalkOptions {
  /** Mean think time before each step (reading the lesson, pasting the command), seconds; 0.5x-1.5x of it. */
  thinkS: number;
  /** Seconds between two echo probes of one learner (jittered the same way). */
  echoEveryS: number;
  /** Nothing of this learner runs past this (performance.now() time). */
  deadline: number;
}

export interface Verdict {
  exerciseId: string;
  /** Typed the step's first command -> the `checks` message saying it passed (or the give-up time). */
  ms: number;
  /** How long the step's commands ran (typed -> their prompt back). */
  commandMs: number;
  /** Prompt back -> passed (0 when the verdict came first): what the learner waits after their command. */
  lagMs: number;
  detached: boolean;
  passed: boolean;
}

const ECHO_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 300_000;
const VERDICT_TIMEOUT_MS = 180_000;
const PROBE = 'probe';
const tabOf = (node: NodeName) => `t-${node}`;
const jitter = (s: number) => s * 1000 * (0.5 + Math.random());

export class PathWalker {
  learner: Learner | undefined;
  /** Claim -> cluster ready, ms. */
  startMs: number | undefined;
  readonly echoMs: number[] = [];
  readonly verdicts: Verdict[] = [];
  readonly errors: string[] = [];
  finished = false;
  private stopped = false;
  private closing = false;
  private readonly listeners = new Map<string, () => void>();
  private readonly acked = new Map<string, number>();
  private readonly passedAt = new Map<string, number>();
  private verdictWaiter: (() => void) | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly path: PathStep[],
    private readonly opts: WalkOptions,
  ) {}

  private left(capMs: number): number {
    return Math.max(0, Math.min(capMs, this.opts.deadline - performance.now()));
  }

  /** Join, wait for the cluster, open the tabs, then walk the path; errors are recorded, not thrown. */
  async run(): Promise<void> {
    try {
      const t0 = performance.now();
      const learner = (this.learner = await Learner.join(this.url));
      learner.ws.on('message', (data, isBinary) => !isBinary && this.onJson(data as Buffer));
      learner.ws.on('close', (code) => !this.closing && this.errors.push(`socket closed (${code})`));
      learner.onOutput = (id) => this.onOutput(id);
      await learner.waitReady(this.left(600_000));
      this.startMs = performance.now() - t0;
      for (const node of ['manager', 'worker-1', 'worker-2'] as const) await learner.open(tabOf(node), node);
      await learner.open(PROBE, 'manager');
      for (const id of [tabOf('manager'), tabOf('worker-1'), tabOf('worker-2'), PROBE]) await this.command(id, 'true', 60_000);
      this.probing = this.probeLoop();
      let watching: string | undefined;
      for (const step of this.path) {
        if (this.stopped || this.left(1) === 0) return;
        if (step.lesson !== watching) learner.send({ type: 'watch', lesson: (watching = step.lesson) });
        await sleep(Math.min(jitter(this.opts.thinkS), this.left(Infinity)));
        if (this.stopped || this.left(1) === 0) return;
        await this.doStep(step);
      }
      this.finished = true;
    } catch (err) {
      // Cut off by the step's bound is not an error of its own: the learner counts as not finished.
      // (Timers may fire a hair before performance.now() reaches the deadline: a second of slack.)
      if (!this.stopped && this.left(Infinity) > 1000) this.errors.push((err as Error).message.split('\n')[0]!);
    }
  }

  private async doStep(step: PathStep): Promise<void> {
    const key = `${step.lesson}/${step.exerciseId}`;
    const typedAt = performance.now();
    for (const c of step.commands) {
      const code = await this.command(tabOf(c.node), c.run, this.left(COMMAND_TIMEOUT_MS));
      if (code !== 0) this.errors.push(`${step.exerciseId}: \`${c.run.slice(0, 50)}\` on ${c.node} exited ${code}`);
    }
    const commandMs = performance.now() - typedAt;
    const passed = await this.waitPassed(key, this.left(VERDICT_TIMEOUT_MS));
    if (passed === undefined) {
      if (this.left(Infinity) <= 1000) return; // cut off by the step's bound: no verdict to count
      this.errors.push(`${step.exerciseId}: no passing verdict ${Math.round((performance.now() - typedAt) / 1000)} s after typing`);
      this.verdicts.push({ exerciseId: step.exerciseId, ms: performance.now() - typedAt, commandMs, lagMs: performance.now() - typedAt - commandMs, detached: step.detached, passed: false });
      return;
    }
    const ms = Math.max(0, passed - typedAt);
    this.verdicts.push({ exerciseId: step.exerciseId, ms, commandMs, lagMs: Math.max(0, ms - commandMs), detached: step.detached, passed: true });
  }

  /** Type `command` and a marker after it; resolves with its exit code once the marker comes back. */
  private command(tab: string, command: string, timeoutMs: number): Promise<number> {
    const learner = this.learner!;
    const t = learner.terminals.get(tab);
    if (!t) return Promise.reject(new Error(`tab ${tab} not open`));
    const id = Math.random().toString(36).slice(2, 8);
    const marker = new RegExp(`<<${id}-end:(\\d+)>>`);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(tab);
        reject(new Error(`\`${command.slice(0, 50)}\` on ${tab}: no prompt within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.listeners.set(tab, () => {
        const m = marker.exec(t.tail(512).toString('latin1'));
        if (!m) return;
        clearTimeout(timer);
        this.listeners.delete(tab);
        resolve(Number(m[1]));
      });
      // The marker is split in the typed text, so the echo of the command line never matches it.
      learner.type(tab, `${command}; echo "<<${id}""-end:$?>>"\r`);
    });
  }

  /** One keystroke into the idle shell: ms until its echo arrives (undefined on timeout). */
  private key(text: string): Promise<number | undefined> {
    const t = this.learner!.terminals.get(PROBE)!;
    const before = t.length;
    const start = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.listeners.delete(PROBE);
        resolve(undefined);
      }, ECHO_TIMEOUT_MS);
      this.listeners.set(PROBE, () => {
        if (t.length <= before) return;
        clearTimeout(timer);
        this.listeners.delete(PROBE);
        resolve(performance.now() - start);
      });
      this.learner!.type(PROBE, text);
    });
  }

  private async probeLoop(): Promise<void> {
    while (!this.stopped) {
      await sleep(jitter(this.opts.echoEveryS));
      if (this.stopped) return;
      const ms = await this.key('x');
      if (ms === undefined) {
        if (this.stopped) return;
        this.errors.push(`keystroke echo: none within ${ECHO_TIMEOUT_MS / 1000} s`);
        this.echoMs.push(ECHO_TIMEOUT_MS);
      } else this.echoMs.push(ms);
      await this.key('\x7f'); // rub it out again (not measured)
    }
  }

  private waitPassed(key: string, timeoutMs: number): Promise<number | undefined> {
    const at = this.passedAt.get(key);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.verdictWaiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.verdictWaiter = () => {
        const at = this.passedAt.get(key);
        if (at === undefined) return;
        clearTimeout(timer);
        this.verdictWaiter = undefined;
        resolve(at);
      };
    });
  }

  private onJson(data: Buffer): void {
    const now = performance.now();
    const parsed = serverMessage.safeParse(JSON.parse(data.toString('utf8')));
    if (!parsed.success) return;
    const msg = parsed.data;
    if (msg.type === 'checks') {
      for (const r of msg.results) if (r.state === 'passed' && !this.passedAt.has(`${msg.lesson}/${r.exerciseId}`)) this.passedAt.set(`${msg.lesson}/${r.exerciseId}`, now);
      this.verdictWaiter?.();
    } else if (msg.type === 'error') this.errors.push(`server: ${msg.code}: ${msg.message}`);
    else if (msg.type === 'cluster' && msg.cluster.status === 'failed') this.errors.push(`cluster failed: ${msg.cluster.progress ?? ''}`);
  }

  /** Every output frame: acknowledge like the browser does (flow control), then wake whoever waits on this tab. */
  private onOutput(tab: string): void {
    const t = this.learner!.terminals.get(tab);
    if (t) {
      const offset = t.from + t.length;
      if (offset - (this.acked.get(tab) ?? 0) >= ACK_STEP_BYTES) {
        this.acked.set(tab, offset);
        this.learner!.send({ type: 'ack', terminalId: tab, offset });
      }
    }
    this.listeners.get(tab)?.();
  }

  /** Stop probing and walking; close the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.probing?.catch(() => undefined);
    this.closing = true;
    this.learner?.close();
  }
}
