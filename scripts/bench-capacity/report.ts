/** The ramp's figures per step, its table and its knee. */
import type { HostWindow } from './host.ts';
import type { PathWalker } from './walker.ts';

export const ECHO_P95_MS = 100;
export const VERDICT_P95_MS = 2000;

export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export interface StepResult {
  learners: number;
  seconds: number;
  /** Learners whose cluster became ready / who walked the whole path in time. */
  ready: number;
  finished: number;
  startMs: number[];
  echoMs: number[];
  /** Every step's typed -> passed (a step that never passed counts with the time waited). */
  verdictMs: number[];
  /**
   * The command's prompt back -> passed (0 when the verdict came first), every step but the two whose
   * command returns before Docker did the work (docker stack deploy): what a learner waits for green.
   */
  lagMs: number[];
  /** The app scaled 1 -> 3 over the just-joined workers (app-spread): typed -> passed. */
  scaleOutMs: number[];
  /** Per exercise: typed -> passed, the command's own time, prompt -> passed. */
  byExercise: Map<string, { ms: number[]; commandMs: number[]; lagMs: number[] }>;
  host: HostWindow;
  /** Busy share of the cores just before the step (other people's work on a shared machine). */
  cpuBefore: number;
  errors: string[];
}

export function stepResult(learners: number, seconds: number, walkers: PathWalker[], host: HostWindow, cpuBefore: number): StepResult {
  const byExercise: StepResult['byExercise'] = new Map();
  const verdicts = walkers.flatMap((w) => w.verdicts);
  for (const v of verdicts) {
    const e = byExercise.get(v.exerciseId) ?? { ms: [], commandMs: [], lagMs: [] };
    e.ms.push(v.ms);
    e.commandMs.push(v.commandMs);
    e.lagMs.push(v.lagMs);
    byExercise.set(v.exerciseId, e);
  }
  return {
    learners,
    seconds,
    ready: walkers.filter((w) => w.startMs !== undefined).length,
    finished: walkers.filter((w) => w.finished).length,
    startMs: walkers.flatMap((w) => (w.startMs === undefined ? [] : [w.startMs])),
    echoMs: walkers.flatMap((w) => w.echoMs),
    verdictMs: verdicts.map((v) => v.ms),
    lagMs: verdicts.filter((v) => !v.detached).map((v) => v.lagMs),
    scaleOutMs: verdicts.filter((v) => v.exerciseId === 'app-spread').map((v) => v.ms),
    byExercise,
    host,
    cpuBefore,
    errors: walkers.flatMap((w) => w.errors),
  };
}

const s = (ms: number) => (Number.isNaN(ms) ? '-' : ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
const msf = (ms: number) => (Number.isNaN(ms) ? '-' : `${Math.round(ms)}`);
const gb = (mb: number) => (mb / 1024).toFixed(1);

/** Holds the bar: echo p95 < 100 ms and verdict p95 < 2 s after the command's prompt, every learner got a cluster. */
export function holds(r: StepResult): boolean {
  return r.ready === r.learners && pct(r.echoMs, 95) < ECHO_P95_MS && pct(r.lagMs, 95) < VERDICT_P95_MS;
}

export function table(results: StepResult[]): string {
  const rows = [
    '| learners | ready / done | cluster start p50 / p95 | echo p50 / p95 (ms) | typed -> verdict p50 / p95 | prompt -> verdict p95 | scale-out to 3 p50 / p95 | host CPU avg / max (before) | iowait | memory max | learner disk | errors | holds |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const h = r.host;
    rows.push(
      `| ${r.learners} | ${r.ready} / ${r.finished} | ${s(pct(r.startMs, 50))} / ${s(pct(r.startMs, 95))} | ${msf(pct(r.echoMs, 50))} / ${msf(pct(r.echoMs, 95))} (n=${r.echoMs.length}) ` +
        `| ${s(pct(r.verdictMs, 50))} / ${s(pct(r.verdictMs, 95))} | ${s(pct(r.lagMs, 95))} | ${s(pct(r.scaleOutMs, 50))} / ${s(pct(r.scaleOutMs, 95))} ` +
        `| ${h.cpuAvg.toFixed(0)} % / ${h.cpuMax.toFixed(0)} % (${r.cpuBefore.toFixed(0)} %) | ${h.iowaitAvg.toFixed(0)} % | ${gb(h.memUsedMaxMb)} of ${gb(h.memTotalMb)} GB ` +
        `| ${h.learnerDisk ? `${h.learnerDisk.usedGb.toFixed(1)} of ${h.learnerDisk.totalGb.toFixed(0)} GB` : '-'} | ${r.errors.length} | ${holds(r) ? 'yes' : 'no'} |`,
    );
  }
  return rows.join('\n');
}

export function perExercise(r: StepResult): string {
  return [...r.byExercise]
    .map(([id, e]) => `${id} ${s(pct(e.ms, 50))}/${s(pct(e.ms, 95))} (command ${s(pct(e.commandMs, 50))}, after it ${s(pct(e.lagMs, 95))})`)
    .join(', ');
}

/** Each resource's use at a step, as a share of what the host has (1 = all of it). */
function pressure(r: StepResult): [string, number][] {
  const h = r.host;
  const out: [string, number][] = [
    ['CPU (busy share of all cores over the step)', h.cpuAvg / 100],
    ['memory', h.memUsedMaxMb / h.memTotalMb],
  ];
  if (h.learnerDisk) out.push(['learner disk', h.learnerDisk.usedGb / h.learnerDisk.totalGb]);
  if (h.rootDisk) out.push(['root disk', h.rootDisk.usedGb / h.rootDisk.totalGb]);
  return out.sort((a, b) => b[1] - a[1]);
}

/** The step whose prompt -> verdict p95 is the worst at this load, and that p95. */
function slowestVerdict(r: StepResult): string {
  let worst: [string, number] = ['-', -1];
  for (const [id, e] of r.byExercise) {
    const p = pct(e.lagMs, 95);
    if (!['stack-deployed', 'stack-updated'].includes(id) && p > worst[1]) worst = [id, p];
  }
  return `${worst[0]} ${s(worst[1])}`;
}

/** The most learners of an unbroken run of steps from the first for which `ok` holds (0: none). */
function lastHolding(results: StepResult[], ok: (r: StepResult) => boolean): number {
  let n = 0;
  for (const r of results) {
    if (!ok(r)) break;
    n = r.learners;
  }
  return n;
}

const upTo = (n: number) => (n ? `holds up to ${n} learners` : 'missed at the first step');

/** The knee: the most learners of an unbroken run of steps that hold the bar, and what ran out first past it. */
export function knee(results: StepResult[]): string {
  const best = results.find((r) => r.learners === lastHolding(results, holds));
  const broke = results.find((r) => !holds(r));
  const at = broke ?? results.at(-1);
  const lines = [
    best
      ? `knee: ${best.learners} learners (echo p95 ${msf(pct(best.echoMs, 95))} ms < ${ECHO_P95_MS} ms, prompt -> verdict p95 ${s(pct(best.lagMs, 95))} < ${VERDICT_P95_MS / 1000} s)`
      : `knee: below ${results[0]?.learners ?? '?'} learners (the first step already missed the bar)`,
    `  echo bar alone: ${upTo(lastHolding(results, (r) => r.ready === r.learners && pct(r.echoMs, 95) < ECHO_P95_MS))}; ` +
      `verdict bar alone: ${upTo(lastHolding(results, (r) => r.ready === r.learners && pct(r.lagMs, 95) < VERDICT_P95_MS))}`,
  ];
  if (at) {
    const [[what, share]] = pressure(at) as [[string, number]];
    const cpuBound = at.host.cpuAvg > 85;
    lines.push(
      broke
        ? `  at ${broke.learners} learners: echo p95 ${msf(pct(broke.echoMs, 95))} ms, prompt -> verdict p95 ${s(pct(broke.lagMs, 95))} (slowest step: ${slowestVerdict(broke)}), ${broke.ready}/${broke.learners} clusters ready`
        : `  every step held; the largest (${at.learners}) is no upper bound`,
    );
    lines.push(
      `resource that ran out first: ${cpuBound ? 'CPU' : what} (${pressure(at)
        .map(([w, x]) => `${w} ${(x * 100).toFixed(0)} %`)
        .join(', ')})${!cpuBound && share < 0.85 ? ': none was exhausted; latency came from contention, not a full resource' : ''}`,
    );
  }
  return lines.join('\n');
}
