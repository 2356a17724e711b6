/**
 * The host as a whole, sampled while a ramp step runs: CPU from /proc/stat, memory from
 * /proc/meminfo, disk from statfs (the learner engine's disk and the root file system). Whole-host
 * figures on purpose: on a shared machine they include other work, which the report says.
 */
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LEARNER_CGROUP_PARENT } from '../../sandbox-server/src/engine/learner.ts';

interface CpuTicks {
  busy: number;
  iowait: number;
  total: number;
}

function cpuTicks(): CpuTicks {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, iowait, total: busy + idle + iowait };
}

function meminfo(): { totalMb: number; availableMb: number } {
  const kb = (key: string, text: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const text = fs.readFileSync('/proc/meminfo', 'utf8');
  return { totalMb: kb('MemTotal', text) / 1024, availableMb: kb('MemAvailable', text) / 1024 };
}

/** Used and total bytes of the file system holding `dir` (undefined when it is not there). */
function disk(dir: string): { usedGb: number; totalGb: number } | undefined {
  try {
    const s = fs.statfsSync(dir);
    return { usedGb: ((s.blocks - s.bfree) * s.bsize) / 2 ** 30, totalGb: (s.blocks * s.bsize) / 2 ** 30 };
  } catch {
    return undefined;
  }
}

export interface HostWindow {
  /** Busy share of all cores over the window, in % (100 = every core busy all the time). */
  cpuAvg: number;
  /** The busiest sample interval, in %. */
  cpuMax: number;
  /** Time waiting on I/O, in % of all cores. */
  iowaitAvg: number;
  memTotalMb: number;
  /** Most memory in use at once (MemTotal - MemAvailable). */
  memUsedMaxMb: number;
  learnerDisk?: { usedGb: number; totalGb: number };
  rootDisk?: { usedGb: number; totalGb: number };
  load1Max: number;
  /** Where the busy CPU went, in % of all cores (undefined where the learner nodes' cgroup is not found). */
  split?: { nodes: number; thisProcess: number; rest: number };
  /** Event-loop delay p99 of this process (the server and the simulated learners), ms. */
  loopP99Ms: number;
}

/** CPU time (ns) of every learner node together: their common cgroup (v1 cpuacct or v2 cpu.stat). */
function learnerNodesCpuNs(): number | undefined {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  const v1 = read(`/sys/fs/cgroup/cpuacct/${LEARNER_CGROUP_PARENT}/cpuacct.usage`);
  if (v1 !== undefined) return Number(v1);
  const usec = /^usage_usec (\d+)/m.exec(read(`/sys/fs/cgroup/${LEARNER_CGROUP_PARENT}/cpu.stat`) ?? '')?.[1];
  return usec === undefined ? undefined : Number(usec) * 1000;
}
const processCpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

/** Samples the host every `everyMs` until stopped; `stop()` returns the window's figures. */
export function watchHost(learnerDataDir: string, everyMs = 2000): { stop: () => HostWindow } {
  const first = cpuTicks();
  const t0 = performance.now();
  const nodesFirst = learnerNodesCpuNs();
  const processFirst = processCpuNs();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let prev = first;
  let cpuMax = 0;
  let memUsedMaxMb = 0;
  let load1Max = 0;
  let learnerDisk = disk(learnerDataDir);
  const look = () => {
    const now = cpuTicks();
    const dt = now.total - prev.total;
    if (dt > 0) cpuMax = Math.max(cpuMax, ((now.busy - prev.busy) / dt) * 100);
    prev = now;
    const m = meminfo();
    memUsedMaxMb = Math.max(memUsedMaxMb, m.totalMb - m.availableMb);
    load1Max = Math.max(load1Max, Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]));
    const d = disk(learnerDataDir);
    if (d && (!learnerDisk || d.usedGb > learnerDisk.usedGb)) learnerDisk = d;
  };
  look();
  const timer = setInterval(look, everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      look();
      const last = cpuTicks();
      const dt = Math.max(1, last.total - first.total);
      loop.disable();
      // ns of CPU over the window, in % of all cores (the window's wall time times the cores).
      const coreNs = (performance.now() - t0) * 1e6 * os.availableParallelism();
      const nodesNow = learnerNodesCpuNs();
      const busy = ((last.busy - first.busy) / dt) * 100;
      const nodes = nodesFirst !== undefined && nodesNow !== undefined ? ((nodesNow - nodesFirst) / coreNs) * 100 : undefined;
      const thisProcess = ((processCpuNs() - processFirst) / coreNs) * 100;
      return {
        split: nodes === undefined ? undefined : { nodes, thisProcess, rest: Math.max(0, busy - nodes - thisProcess) },
        loopP99Ms: loop.percentile(99) / 1e6,
        cpuAvg: ((last.busy - first.busy) / dt) * 100,
        cpuMax,
        iowaitAvg: ((last.iowait - first.iowait) / dt) * 100,
        memTotalMb: meminfo().totalMb,
        memUsedMaxMb,
        learnerDisk,
        rootDisk: disk('/'),
        load1Max,
      };
    },
  };
}

/** The busy share of all cores over `ms` (what the machine does before a step: other people's work). */
export async function cpuBusyOver(ms: number): Promise<number> {
  const a = cpuTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTicks();
  return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100;
}
