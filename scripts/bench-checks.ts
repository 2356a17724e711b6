/**
 * Live exercise checks, measured (`npm run bench` runs this after bench.ts):
 *
 * 1. Latency from a state change to the verdict on the learner's WebSocket:
 *    `docker service scale` flips a `hold` exercise between passed and pending.
 *    - via the API: the scale is an update call to the manager's engine;
 *    - typed: `docker service scale` typed into the manager's terminal (CLI start included);
 *    - running: until the new task runs, beside Docker's own container start time.
 * 2. CPU cost of watching N idle clusters (default 30, SWB_BENCH_CLUSTERS=n):
 *    this server process with N learners connected and watching nothing, a
 *    lesson whose checks only events wake, and a lesson with an unpassed file
 *    check (polled every 2 s).
 *
 * Prints numbers; asserts nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { innerEngine } from '../sandbox-server/src/engine/inner-events.ts';
import { INNER_DOCKER_PORT } from '../sandbox-server/src/engine/inner-api.ts';
import type { CheckResult, ServerMessage } from '@contract/protocol.ts';
import { loadConfig } from '../sandbox-server/src/config.ts';
import { clusterNodes, sh } from '../test/helpers/cluster-state.ts';
import { Learner } from '../test/helpers/learner.ts';
import { removeInstance, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { prepareHost } from './lib/prepare.ts';

const RUNS = Number(process.env.SWB_BENCH_RUNS ?? 20);
const CLUSTERS = Number(process.env.SWB_BENCH_CLUSTERS ?? 30);
const IDLE_SECONDS = Number(process.env.SWB_BENCH_IDLE_S ?? 30);
const LESSON = 'bench';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (x: number) => `${x.toFixed(0)} ms`;
const line = (what: string, value: string, extra = '') => console.log(`${what.padEnd(52)} ${value.padEnd(26)} ${extra}`);

/** The fixture lessons: test/fixtures/bench-checks/lessons/ (the second one's unpassed file check is polled). */
const contentDir = fileURLToPath(new URL('../test/fixtures/bench-checks/', import.meta.url));

await prepareHost(loadConfig());
const server = await startTestServer('bench-checks', { SWB_CONTENT_DIR: contentDir, SWB_POOL_SIZE: '0' });
const instance = server.config.SWB_INSTANCE;
console.log(`\nLive exercise checks (debounce 200 ms, ipvs: ${server.sandbox.facts.ipvs})\n`);

function stateOf(learner: Learner, exerciseId: string, since: number): CheckResult['state'] | undefined {
  for (let i = learner.messages.length - 1; i >= since; i--) {
    const m = learner.messages[i]!;
    if (m.type === 'checks' && m.lesson === LESSON) return m.results.find((r) => r.exerciseId === exerciseId)?.state;
  }
  return undefined;
}

/** Resolves with the time the verdict for `exerciseId` became `state` (no polling: hooked on frames). */
function verdict(learner: Learner, exerciseId: string, state: CheckResult['state']): Promise<number> {
  return new Promise((resolve) => {
    const ws = learner.ws;
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as ServerMessage;
      if (msg.type === 'checks' && msg.lesson === LESSON && msg.results.find((r) => r.exerciseId === exerciseId)?.state === state) {
        ws.off('message', onMessage);
        resolve(performance.now());
      }
    };
    ws.on('message', onMessage);
  });
}

try {
  // ------------------------------------------------------------ latency
  const learner = await Learner.join(server.url);
  const cluster = await learner.waitReady();
  const nodes = await clusterNodes(instance, cluster.nodes.map((n) => n.ip));
  const manager = nodes.find((n) => n.name === 'manager')!;
  await sh(manager, 'docker swarm init && docker service create --detach --name web --replicas 1 flask_app:3.0');
  for (const w of nodes.filter((n) => n.name !== 'manager')) {
    await sh(w, `docker swarm join --token $(docker -H tcp://manager:${INNER_DOCKER_PORT} swarm join-token -q worker) manager:2377`);
  }
  const engine: Docker = innerEngine(manager.ip);
  const service = engine.getService('web');
  const scaleApi = async (replicas: number) => {
    const s = (await service.inspect()) as { Version: { Index: number }; Spec: { Mode: { Replicated: { Replicas: number } } } };
    s.Spec.Mode.Replicated.Replicas = replicas;
    await service.update({ _query: { version: s.Version.Index }, _body: s.Spec } as object);
  };
  learner.send({ type: 'watch', lesson: LESSON });
  await waitFor(() => stateOf(learner, 'scaled', 0) === 'pending', 30_000, 'first verdict');
  await waitFor(async () => ((await engine.listTasks({ filters: JSON.stringify({ service: ['web'], 'desired-state': ['running'] }) } as object)) as unknown[]).length === 1, 30_000, 'web running');

  const api: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const up = i % 2 === 0;
    const seen = verdict(learner, 'scaled', up ? 'passed' : 'pending');
    const t0 = performance.now();
    await scaleApi(up ? 2 : 1);
    api.push((await seen) - t0);
    await sleep(700); // let the burst of task events pass
  }
  line('scale via API -> verdict on the WebSocket  p50', fmt(pct(api, 50)), `(${RUNS} runs)`);
  line('scale via API -> verdict on the WebSocket  p95', fmt(pct(api, 95)), '(target <= 1000 ms)');

  await learner.open('t-manager', 'manager');
  await learner.run('t-manager', 'docker service scale --detach web=1 >/dev/null');
  await waitFor(() => stateOf(learner, 'scaled', 0) === 'pending', 10_000, 'back to one');
  const typed: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const up = i % 2 === 0;
    const seen = verdict(learner, 'scaled', up ? 'passed' : 'pending');
    const t0 = performance.now();
    learner.type('t-manager', `docker service scale --detach web=${up ? 2 : 1} >/dev/null\r`);
    typed.push((await seen) - t0);
    await sleep(700);
  }
  line('typed `docker service scale` -> verdict  p50', fmt(pct(typed, 50)), '(CLI start-up included)');
  line('typed `docker service scale` -> verdict  p95', fmt(pct(typed, 95)));

  // Until the new task runs: our share is the time after Docker started the container.
  const running: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < Math.max(4, RUNS / 2); i++) {
    await scaleApi(1);
    await waitFor(() => stateOf(learner, 'scaled-running', 0) === 'pending', 10_000, 'back to one');
    await sleep(1500);
    const started = new Promise<number>((resolve) => {
      // Docker's own moment: the container start event on whichever node got the task.
      const streams: NodeJS.ReadableStream[] = [];
      for (const n of nodes) {
        void innerEngine(n.ip, 0)
          .getEvents({ filters: JSON.stringify({ type: ['container'], event: ['start'] }) } as object)
          .then((s) => {
            streams.push(s);
            s.on('data', () => {
              for (const x of streams) (x as unknown as { destroy(): void }).destroy();
              resolve(performance.now());
            });
          });
      }
    });
    await sleep(200); // event streams open
    const seen = verdict(learner, 'scaled-running', 'passed');
    const t0 = performance.now();
    await scaleApi(2);
    const [ok, start] = await Promise.all([seen, started]);
    running.push(ok - t0);
    overhead.push(ok - start);
  }
  line('scale -> "2 running" verdict  p50', fmt(pct(running, 50)), 'includes pulling nothing, starting a container');
  line('container started -> verdict  p50', fmt(pct(overhead, 50)), 'our share of the above');
  line('container started -> verdict  p95', fmt(pct(overhead, 95)));
  learner.close();
  await server.sandbox.sessions.reap(Date.now() + 1e12);

  // ------------------------------------------------------------ idle CPU
  console.log(`\nwatching ${CLUSTERS} idle clusters (1 manager + 2 workers each, swarm initialised)...`);
  const learners: Learner[] = [];
  for (let i = 0; i < CLUSTERS; i += 3) {
    const batch = await Promise.all(Array.from({ length: Math.min(3, CLUSTERS - i) }, () => Learner.join(server.url)));
    for (const l of batch) {
      const info = await l.waitReady(300_000);
      const [m] = await clusterNodes(instance, [info.nodes.find((n) => n.name === 'manager')!.ip]);
      await sh(m!, 'docker swarm init >/dev/null && docker service create --detach --name web flask_app:3.0 >/dev/null');
      learners.push(l);
    }
    process.stdout.write(`  ${learners.length}/${CLUSTERS}\r`);
  }
  const cpu = async (seconds: number) => {
    const u0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await sleep(seconds * 1000);
    const u = process.cpuUsage(u0);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    return ((u.user + u.system) / wallUs) * 100;
  };
  const watch = async (lesson: string | null) => {
    for (const l of learners) l.send({ type: 'watch', lesson });
    await sleep(5_000); // first rounds and their follow-ups
  };
  await sleep(10_000); // let start-up settle
  // Alternate the phases twice, so a slow drift of the machine does not favour one.
  const phases: Record<string, number[]> = { none: [], events: [], polled: [] };
  for (let round = 0; round < 2; round++) {
    await watch(null);
    phases.none!.push(await cpu(IDLE_SECONDS / 2));
    await watch(LESSON);
    phases.events!.push(await cpu(IDLE_SECONDS / 2));
    await watch(`${LESSON}-poll`);
    phases.polled!.push(await cpu(IDLE_SECONDS / 2));
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [none, events, polled] = [avg(phases.none!), avg(phases.events!), avg(phases.polled!)];
  line(`server CPU, ${CLUSTERS} learners connected, watching nothing`, `${none.toFixed(2)} % of a core`, `(${IDLE_SECONDS} s per phase)`);
  line(`... watching a lesson of event-driven checks`, `${events.toFixed(2)} % of a core`, `(${(events - none >= 0 ? '+' : '')}${(events - none).toFixed(2)} %)`);
  line(`... watching a lesson with a polled file check`, `${polled.toFixed(2)} % of a core`, `(+${(polled - none).toFixed(2)} %, ${((polled - none) / CLUSTERS).toFixed(3)} % per cluster)`);
  for (const l of learners) l.close();
} finally {
  await server.close();
  await removeInstance(instance);
}
