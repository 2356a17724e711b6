/**
 * `npm run bench:capacity -- --one`: what one learner cluster costs this host, measured where the sizing constants of
 * sandbox-server/src/clusters/capacity.ts come from: a real cluster (SWB_WORKERS workers + a manager)
 * on the learner engine, first fresh, then while every lesson's solution is applied back to back
 * (the seed path: swarm, services, MySQL, overlay network, scaling, the stack, rolling updates,
 * secrets), then with everything that path leaves running, then in swarm mode with every service removed
 * (the idle swarm: a manager and two workers, nothing scheduled). Each idle phase also says which
 * processes of the nodes spent the CPU (dockerd, containerd, mysqld, ...).
 *
 * `tsx scripts/bench-capacity.ts --one` (or `npm run bench:capacity -- --one`); SWB_BENCH_CAPACITY_IDLE_S
 * sets how long each idle phase is watched (default 60). Prints one line per phase and a JSON summary.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { LessonCatalog } from '../../sandbox-server/src/checks/catalog.ts';
import { LABEL, labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { nodeDiskOf } from '../../sandbox-server/src/engine/node-disk.ts';
import { createLogger } from '../../sandbox-server/src/log.ts';
import type { ServerMessage } from '@contract/protocol.ts';
import { Learner } from '../../test/helpers/learner.ts';
import { docker, removeInstance, startTestServer } from '../../test/helpers/server.ts';
import { waitFor } from '../../test/helpers/wait.ts';

const IDLE_S = Math.max(5, Number(process.env.SWB_BENCH_CAPACITY_IDLE_S) || 60);
const SAMPLE_MS = 5000;

interface Sample {
  at: number;
  /** Cumulative CPU time of every node together (ns). */
  cpuNs: number;
  /** Memory as `docker stats` counts it (usage less inactive file cache), every node together. */
  memoryBytes: number;
  pids: number;
  /** Real blocks of the nodes' sparse disk images (what the disk guard counts). */
  diskBytes: number;
  /** CPU time of this process (ns): the server runs in it, so its checks, events and terminals are a learner's cost too. */
  serverCpuNs: number;
}

async function sample(engine: Docker, instance: string, cluster: string): Promise<Sample> {
  const containers = await engine.listContainers({ filters: labelFilter(instance, cluster) });
  let cpuNs = 0;
  let memoryBytes = 0;
  let pids = 0;
  let diskBytes = 0;
  for (const c of containers) {
    const s = (await engine.getContainer(c.Id).stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as {
      cpu_stats: { cpu_usage: { total_usage: number } };
      memory_stats: { usage?: number; stats?: Record<string, number> };
      pids_stats?: { current?: number };
    };
    cpuNs += s.cpu_stats.cpu_usage.total_usage;
    const cache = s.memory_stats.stats?.inactive_file ?? s.memory_stats.stats?.total_inactive_file ?? 0;
    memoryBytes += Math.max(0, (s.memory_stats.usage ?? 0) - cache);
    pids += s.pids_stats?.current ?? 0;
    const disk = nodeDiskOf(c.Mounts);
    if (disk) diskBytes += fs.statSync(disk.image).blocks * 512;
  }
  const own = process.cpuUsage();
  return { at: Date.now(), cpuNs, memoryBytes, pids, diskBytes, serverCpuNs: (own.user + own.system) * 1000 };
}

interface Phase {
  phase: string;
  seconds: number;
  /** Average CPU of the nodes over the phase, in % of one core. */
  cpuPercentOfCore: number;
  /** Average CPU of the server process for this one learner, in % of one core. */
  serverCpuPercentOfCore: number;
  memoryMbAvg: number;
  memoryMbMax: number;
  pidsMax: number;
  diskMbEnd: number;
}

const percentOfCore = (ns: number, ms: number) => Number(((ns / 1e6 / Math.max(1, ms)) * 100).toFixed(1));

function summarize(phase: string, samples: Sample[]): Phase {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const mb = (b: number) => Math.round(b / 2 ** 20);
  return {
    phase,
    seconds: Math.round((last.at - first.at) / 1000),
    cpuPercentOfCore: percentOfCore(last.cpuNs - first.cpuNs, last.at - first.at),
    serverCpuPercentOfCore: percentOfCore(last.serverCpuNs - first.serverCpuNs, last.at - first.at),
    memoryMbAvg: mb(samples.reduce((s, x) => s + x.memoryBytes, 0) / samples.length),
    memoryMbMax: mb(Math.max(...samples.map((x) => x.memoryBytes))),
    pidsMax: Math.max(...samples.map((x) => x.pids)),
    diskMbEnd: mb(last.diskBytes),
  };
}

/** CPU seconds so far of every process in the cluster's nodes, by pid, with its command name. */
async function processCpu(engine: Docker, instance: string, cluster: string): Promise<Map<number, { command: string; seconds: number }>> {
  const byPid = new Map<number, { command: string; seconds: number }>();
  for (const c of await engine.listContainers({ filters: labelFilter(instance, cluster) })) {
    // `top` lists the container's processes by their host pids; /proc/<pid>/stat has their user + system ticks.
    const top = (await engine.getContainer(c.Id).top({ ps_args: '-eo pid' })) as { Processes?: string[][] };
    for (const [pid] of top.Processes ?? []) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byPid.set(Number(pid), { command, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S });
      } catch {
        // it ended meanwhile
      }
    }
  }
  return byPid;
}
const TICKS_PER_S = 100;

/** Watch the cluster idle for `idleS`, then print which commands spent its CPU (% of one core, processes alive throughout). */
async function idlePhase(phase: string, take: () => Promise<Sample>, processes: () => ReturnType<typeof processCpu>): Promise<Phase> {
  const before = await processes();
  const t0 = Date.now();
  const result = await watch(phase, take, IDLE_S);
  const after = await processes();
  const byCommand = new Map<string, number>();
  for (const [pid, p] of after) {
    const was = before.get(pid);
    if (was && was.command === p.command) byCommand.set(p.command, (byCommand.get(p.command) ?? 0) + p.seconds - was.seconds);
  }
  const s = (Date.now() - t0) / 1000;
  const top = [...byCommand].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`# [capacity]   by process (% of a core): ${top.map(([c, sec]) => `${c} ${((sec / s) * 100).toFixed(2)}`).join(', ')}`);
  return result;
}

/** Sample every SAMPLE_MS while `work` runs (or for `idleS` when there is no work). */
async function watch(phase: string, take: () => Promise<Sample>, work: (() => Promise<void>) | number): Promise<Phase> {
  const samples = [await take()];
  let done = false;
  const running = typeof work === 'number' ? sleep(work * 1000) : work();
  void running.finally(() => (done = true));
  while (!done) {
    await Promise.race([running, sleep(SAMPLE_MS)]);
    samples.push(await take());
  }
  await running;
  const result = summarize(phase, samples);
  console.log(`# [capacity] ${phase}: ${JSON.stringify(result)}`);
  return result;
}

/** The one-cluster cost measurement (the figures of README's sizing table). */
export async function benchOneCluster(started: (server: Awaited<ReturnType<typeof startTestServer>>) => void = () => undefined): Promise<void> {
  const server = await startTestServer('capacity');
  started(server); // so that Ctrl-C removes its cluster too
  try {
    const learner = await Learner.join(server.url);
    const info = await learner.waitReady(600_000);
    const cluster = (await docker.listContainers({ filters: labelFilter(server.config.SWB_INSTANCE) }))[0]!.Labels[LABEL.cluster]!;
    const take = () => sample(docker, server.config.SWB_INSTANCE, cluster);
    const processes = () => processCpu(docker, server.config.SWB_INSTANCE, cluster);
    const phases: Phase[] = [];
    phases.push(await idlePhase('fresh, idle', take, processes));

    const catalog = new LessonCatalog(path.resolve('content/lessons'), createLogger('pretty', {}, 'error'), { ipvs: server.sandbox.facts.ipvs });
    phases.push(
      await watch('seed path: every solution applied in order', take, async () => {
        for (const slug of catalog.slugs()) {
          const lesson = catalog.get(slug);
          learner.send({ type: 'watch', lesson: slug });
          for (const ex of lesson?.exercises ?? []) {
            const since = learner.messages.length;
            learner.send({ type: 'apply', lesson: slug, exerciseId: ex.id });
            let applied: Extract<ServerMessage, { type: 'applied' }> | undefined;
            await waitFor(
              () => !!(applied = learner.messages.slice(since).find((m): m is Extract<ServerMessage, { type: 'applied' }> => m.type === 'applied' && m.exerciseId === ex.id)),
              300_000,
              `applied ${slug}/${ex.id}`,
            );
            if (!applied!.ok) throw new Error(`${slug}/${ex.id}: solution failed: ${applied!.steps.map((s) => `${s.run}: ${s.output}`).join('; ')}`);
          }
        }
      }),
    );
    phases.push(await idlePhase('after the seed path, its services running, idle', take, processes));
    const nodes = info.nodes.map((n) => n.name);
    for (const node of nodes) await learner.open(`t-${node}`, node);
    await learner.run('t-manager', 'docker stack rm $(docker stack ls --format "{{.Name}}") >/dev/null 2>&1; docker service rm $(docker service ls -q) >/dev/null 2>&1; true');
    for (const node of nodes) {
      await waitFor(async () => (await learner.run(`t-${node}`, 'docker ps -q | wc -l')).trim() === '0', 120_000, `every task container gone on ${node}`);
    }
    phases.push(await idlePhase('swarm mode, every service removed, idle', take, processes));
    console.log(JSON.stringify({ nodes: info.nodes.length, ipvs: server.sandbox.facts.ipvs, phases }, null, 2));
    learner.close();
  } finally {
    await server.close();
    await removeInstance(server.config.SWB_INSTANCE);
  }
}
