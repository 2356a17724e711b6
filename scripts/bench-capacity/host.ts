/**
 * The host as a whole, sampled while a ramp step runs: CPU from /proc/stat, memory from
 * /proc/meminfo, disk from statfs (the learner engine's disk and the root file system). Whole-host
 * figures on purpose: on a shared machine they include other work, which the report says.
 */
import fs from 'node:fs';

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
}

/** Samples the host every `everyMs` until stopped; `stop()` returns the window's figures. */
export function watchHost(learnerDataDir: string, everyMs = 2000): { stop: () => HostWindow } {
  const first = cpuTicks();
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
      return {
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
