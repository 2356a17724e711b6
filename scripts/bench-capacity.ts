/**
 * `npm run bench:capacity`: how many learners this host holds, found by ramping real learners.
 * Each step starts its own sandbox server (loopback only, its own instance label), lets N learners
 * arrive over SWB_BENCH_ARRIVE_S, each claiming a real cluster and walking the seed path through
 * real WebSocket terminals at a human pace (scripts/bench-capacity/walker.ts), and measures:
 * keystroke echo of an idle shell (probed every few seconds per learner while the others work),
 * typed command -> passing `checks` verdict, claim -> cluster ready, the first scale-out, and the
 * host's CPU (/proc/stat), memory (/proc/meminfo) and disk (statfs). Every step is bounded in time,
 * and every cluster it made is removed before the next step (also on Ctrl-C or an error).
 * At the end: a table, and the knee (the most learners at which echo p95 < 100 ms and the verdict
 * p95 < 2 s) with the resource that ran out first.
 *
 * `npm run bench:capacity -- --one`: what ONE cluster costs (scripts/bench-capacity/one-cluster.ts),
 * the per-cluster figures behind SWB_MAX_CLUSTERS's default.
 *
 * Environment: SWB_BENCH_RAMP (learners per step, default "5,10,20"), SWB_BENCH_STEP_S (bound of
 * one step, default 420), SWB_BENCH_ARRIVE_S (learners arrive over this, default 30),
 * SWB_BENCH_THINK_S (mean pause before each step, default 15: quicker than
 * the lessons' reading time, so the load is on the heavy side), SWB_BENCH_ECHO_S (mean seconds
 * between echo probes of one learner, default 3), SWB_BENCH_POOL (warm clusters, default 0: every
 * claim is a cold start; `step`: a workshop's pre-warmed class, as many warm clusters as the step has
 * learners, all ready and preloaded before the first arrives, none started again as they are taken),
 * SWB_BENCH_TOTAL_MIN (bound of the whole ramp, default 45: later steps are
 * skipped).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { loadConfig } from '../sandbox-server/src/config.ts';
import { retryUntil } from '../sandbox-server/src/retry.ts';
import { removeInstance, startTestServer } from '../test/helpers/server.ts';
import { prepareHost } from './lib/prepare.ts';
import { cpuBusyOver, watchHost } from './bench-capacity/host.ts';
import { benchOneCluster } from './bench-capacity/one-cluster.ts';
import { knee, pct, perExercise, stepResult, table, type StepResult } from './bench-capacity/report.ts';
import { seedPath } from './bench-capacity/seed-path.ts';
import { PathWalker } from './bench-capacity/walker.ts';

const num = (name: string, def: number) => {
  const n = Number(process.env[name]);
  return process.env[name] && Number.isFinite(n) && n >= 0 ? n : def;
};

const ramp = (process.env.SWB_BENCH_RAMP ?? '5,10,20')
  .split(',')
  .map((x) => Math.round(Number(x)))
  .filter((n) => n > 0);
const STEP_S = num('SWB_BENCH_STEP_S', 420);
const ARRIVE_S = num('SWB_BENCH_ARRIVE_S', 30);
const THINK_S = num('SWB_BENCH_THINK_S', 15);
const ECHO_S = Math.max(0.5, num('SWB_BENCH_ECHO_S', 3));
const POOL_PER_STEP = process.env.SWB_BENCH_POOL === 'step';
const POOL = POOL_PER_STEP ? 0 : Math.round(num('SWB_BENCH_POOL', 0));
const TOTAL_MS = num('SWB_BENCH_TOTAL_MIN', 45) * 60_000;
if (!ramp.length) throw new Error(`SWB_BENCH_RAMP: no step in "${process.env.SWB_BENCH_RAMP}"`);

await prepareHost(loadConfig());

type Server = Awaited<ReturnType<typeof startTestServer>>;
let current: { server: Server; walkers: PathWalker[] } | undefined;

let ending: Promise<void> = Promise.resolve();

/**
 * Close the step's learners and server, then remove every cluster of its instance. Called by the
 * ramp and by Ctrl-C alike: both get the same promise, so nobody leaves before the removal is done.
 */
function endStep(): Promise<void> {
  const step = current;
  if (!step) return ending;
  current = undefined;
  ending = (async () => {
    await Promise.all(step.walkers.map((w) => w.stop()));
    // A cold start still running is waited for by close(); bounded, the removal below follows anyway.
    await Promise.race([step.server.close().catch(() => undefined), sleep(120_000)]);
    await removeInstance(step.server.config.SWB_INSTANCE);
  })();
  return ending;
}

let interrupted = false;
let interruptedAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // One Ctrl-C arrives twice (the terminal signals the group, and tsx relays it to this process):
    // only a second one a moment later means "leave now".
    if (interrupted) {
      if (Date.now() - interruptedAt > 2000) process.exit(130);
      return;
    }
    interrupted = true;
    interruptedAt = Date.now();
    console.log(`\n# [capacity] ${signal}: removing this run's clusters (Ctrl-C again to leave at once)`);
    void endStep()
      .catch((err) => console.error(`# [capacity] clean-up failed: ${(err as Error).message}`))
      .finally(() => process.exit(130));
  });
}

if (process.argv.includes('--one')) {
  // It removes its cluster itself (also after an error); `current` is there for Ctrl-C.
  await benchOneCluster((server) => (current = { server, walkers: [] }));
  current = undefined;
  await ending;
  process.exit(interrupted ? 130 : 0);
}

const began = performance.now();
const results: StepResult[] = [];
try {
  for (const learners of ramp) {
    if (interrupted) break;
    if (performance.now() - began > TOTAL_MS) {
      console.log(`# [capacity] ${learners} learners: skipped, the ramp's ${TOTAL_MS / 60_000} minutes are used up`);
      break;
    }
    const pool = POOL_PER_STEP ? learners : POOL;
    const server = await startTestServer('capacity', {
      // A class pre-warmed for its size takes its clusters and starts none again (a workshop's pool target
      // falls as its learners join); a smaller pool refills while learners arrive.
      SWB_MAX_CLUSTERS: String(POOL_PER_STEP ? learners : learners + pool + 1),
      SWB_POOL_SIZE: String(pool),
      SWB_PRELOAD_IMAGES: process.env.SWB_PRELOAD_IMAGES ?? 'flask_app:3.0',
    });
    current = { server, walkers: [] };
    if (POOL_PER_STEP) {
      const warming = performance.now();
      const ready = await retryUntil(() => server.sandbox.pool.readyCount, (n) => n >= pool || interrupted, { everyMs: 1000, timeoutMs: pool * 120_000 });
      console.log(`# [capacity] ${ready} of ${pool} warm clusters ready (images preloaded) in ${Math.round((performance.now() - warming) / 1000)} s`);
    }
    if (interrupted) break;
    const cpuBefore = await cpuBusyOver(5000);
    const ipvs = server.sandbox.facts.ipvs;
    const steps = seedPath(ipvs);
    const t0 = performance.now();
    const deadline = t0 + STEP_S * 1000;
    const walkers = Array.from({ length: learners }, () => new PathWalker(server.url, steps, { thinkS: THINK_S, echoEveryS: ECHO_S, deadline }));
    current = { server, walkers };
    console.log(
      `# [capacity] ${learners} learners arriving over ${ARRIVE_S} s (bound ${STEP_S} s, think ${THINK_S} s, pool ${pool}, ipvs ${ipvs}, ` +
        `path: ${steps.map((s) => s.exerciseId).join(' > ')})`,
    );
    const host = watchHost(path.join(server.config.SWB_LEARNER_DIR, 'data'));
    const walking = walkers.map(async (w, i) => {
      await sleep((ARRIVE_S * 1000 * i) / learners);
      if (!interrupted) await w.run();
    });
    const progress = setInterval(() => {
      const ready = walkers.filter((w) => w.startMs !== undefined).length;
      const done = walkers.filter((w) => w.finished).length;
      const steps = walkers.reduce((n, w) => n + w.verdicts.length, 0);
      console.log(`# [capacity]   ${Math.round((performance.now() - t0) / 1000)} s: ${ready} ready, ${steps} steps done, ${done} finished, echo p95 so far ${Math.round(pct(walkers.flatMap((w) => w.echoMs), 95))} ms`);
    }, 30_000);
    await Promise.all(walking);
    clearInterval(progress);
    const seconds = Math.round((performance.now() - t0) / 1000);
    await Promise.all(walkers.map((w) => w.stop()));
    const r = stepResult(learners, seconds, walkers, host.stop(), cpuBefore);
    results.push(r);
    console.log(`# [capacity] ${learners} learners ${interrupted ? 'interrupted after' : 'done in'} ${seconds} s; typed -> verdict p50/p95 per step: ${perExercise(r)}`);
    const split = r.host.split;
    console.log(
      `# [capacity]   CPU went to (% of all cores): ${split ? `learner nodes ${split.nodes.toFixed(0)} %, ` : ''}` +
        `this process (server and simulated learners) ${split?.thisProcess.toFixed(0) ?? '?'} % (event loop p99 ${r.host.loopP99Ms.toFixed(0)} ms)` +
        `${split ? `, everything else ${split.rest.toFixed(0)} % (host engine, mirror, kernel, other work)` : ''}`,
    );
    if (r.errors.length) console.log(`# [capacity]   errors (${r.errors.length}): ${[...new Set(r.errors)].slice(0, 8).join(' | ')}`);
    await endStep();
    if (r.ready < learners / 2) {
      console.log(`# [capacity] only ${r.ready} of ${learners} clusters started: the ramp stops here`);
      break;
    }
  }
} finally {
  await endStep();
}

if (results.length && !interrupted) {
  console.log(`\nCapacity ramp (${ramp.join(', ')} learners; seed path at a human pace; host figures are the whole machine)\n`);
  console.log(table(results));
  console.log(`\n${knee(results)}`);
}
await ending;
process.exit(interrupted ? 130 : 0);
