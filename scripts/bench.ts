/**
 * `npm run bench`: sandbox engine figures, each beside a baseline measured in
 * the same run on the same machine. Prints numbers; asserts nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { labArchive, readLabFiles } from '../sandbox-server/src/files/labfiles.ts';
import { destroyCluster, provisionCluster, waitForInnerDocker } from '../sandbox-server/src/clusters/provision.ts';
import { INNER_DOCKER_PORT } from '../sandbox-server/src/engine/inner-api.ts';
import { paths } from '@contract/protocol.ts';
import { Learner } from '../test/helpers/learner.ts';
import { docker, removeInstance, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { prepareHost, repoRoot } from './lib/prepare.ts';
import { loadConfig } from '../sandbox-server/src/config.ts';
import { benchVisualizer } from './bench-visualizer.ts';
import { benchWorkshops } from './bench-workshops.ts';
import { benchIsolation } from './bench-isolation.ts';
import { benchSoak, soakOptions } from './bench-soak.ts';
import { benchPreload } from './bench-preload.ts';
import { configuredMirror } from '../sandbox-server/src/isolation/mirror-address.ts';

const sh = promisify(execFile);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const line = (what: string, value: string, baseline?: string, ratio?: number, target?: string) =>
  console.log(`${what.padEnd(44)} ${value.padEnd(22)} ${(baseline ?? '').padEnd(26)} ${ratio !== undefined ? `ratio ${ratio.toFixed(2)}` : ''} ${target ? `(target ${target})` : ''}`);

const soak = soakOptions(process.argv.slice(2));
const images = await prepareHost(loadConfig());
if (soak.only) {
  await benchSoak(soak);
  process.exit(0);
}
if (process.env.SWB_BENCH_PRELOAD_ONLY === '1') {
  await benchPreload();
  process.exit(0);
}
const server = await startTestServer('bench', { SWB_POOL_SIZE: '1' });
const instance = server.config.SWB_INSTANCE;
const { isolation } = server.sandbox.facts;
const nodes = server.sandbox.nodes;
console.log(`\nSwarm Workbench benchmarks (isolation: ${isolation}, ipvs: ${server.sandbox.facts.ipvs})\n`);

try {
  // 1. Cold provisioning vs the raw `docker run` floor (network + 3 nodes + inner dockerd answering).
  const rounds = 3;
  const raw: number[] = [];
  const ours: number[] = [];
  const archive = await labArchive(readLabFiles(`${repoRoot}/content/files`));
  for (let i = 0; i < rounds; i++) {
    raw.push(await rawDockerRun(images.node));
    const t0 = process.hrtime.bigint();
    const cluster = await provisionCluster({
      docker, instance, nodeImage: images.node, workers: 2, isolation, cgroupOwner: nodes.engine.cgroupOwner, disks: nodes.engine.disks,
      limits: { memoryMb: 1024, cpus: 1, pids: 2048 }, subnetRange: server.config.SWB_SUBNET_POOL, mirror: configuredMirror(server.config), labArchive: archive,
    });
    ours.push(ms(t0));
    await destroyCluster(docker, instance, cluster.id);
  }
  line('cold cluster (3 nodes, dockerd ready) p50', fmt(pct(ours, 50)), `docker run floor ${fmt(pct(raw, 50))}`, pct(ours, 50) / pct(raw, 50), '<= 1.15');

  // 2. Warm pool: a new learner's first prompt byte.
  const firstByte: number[] = [];
  for (let i = 0; i < 8; i++) {
    await waitFor(async () => ((await (await fetch(`${server.url}${paths.health}`)).json()) as { warmClusters: number }).warmClusters >= 1, 120_000, 'warm cluster');
    const t0 = process.hrtime.bigint();
    const learner = await Learner.join(server.url);
    const first = new Promise<void>((resolve) => (learner.onOutput = () => resolve()));
    learner.send({ type: 'open', terminalId: 't-manager', node: 'manager', cols: 80, rows: 24 });
    await first;
    firstByte.push(ms(t0));
    learner.close();
    await server.sandbox.sessions.reap(Date.now() + 1e12);
  }
  line('warm pool: join to first prompt byte p50', fmt(pct(firstByte, 50)));
  line('warm pool: join to first prompt byte p95', fmt(pct(firstByte, 95)), '', undefined, '<= 150 ms');

  // 3. Keystroke echo through the WebSocket vs a direct `docker exec` to the same node.
  const learner = await Learner.join(server.url);
  await learner.waitReady();
  const term = await learner.open('t-manager', 'manager');
  // Echo comes from the tty itself: the shell is busy in `cat`, like a learner typing a command line.
  learner.type('t-manager', 'stty -icanon; cat >/dev/null\r');
  await waitFor(() => term.bytes.includes('cat >/dev/null\r\n'), 10_000, 'cat running');
  const viaWs = await echoSamples(200, async (ch) => {
    const echoed = new Promise<void>((resolve) => (learner.onOutput = () => resolve()));
    learner.type('t-manager', ch);
    await echoed;
  });
  learner.onOutput = undefined;
  const direct = await directExec(await findContainer(instance, learner.cluster!.nodes[0]!.ip));
  const viaExec = await echoSamples(200, direct.roundTrip);
  direct.close();
  line('keystroke echo p50', fmt(pct(viaWs, 50)), `direct exec ${fmt(pct(viaExec, 50))}`, pct(viaWs, 50) / pct(viaExec, 50));
  line('keystroke echo p99', fmt(pct(viaWs, 99)), `direct exec ${fmt(pct(viaExec, 99))}`, pct(viaWs, 99) / pct(viaExec, 99), '<= 1.5');
  learner.type('t-manager', '\x03');

  // 4. Output throughput through the WebSocket (acknowledged as a browser would), in a fresh shell.
  const bytes = 32 * 1024 * 1024;
  const tput = await learner.open('t-tput', 'manager');
  await learner.run('t-tput', 'true');
  const start = tput.length;
  const t0 = process.hrtime.bigint();
  // The end marker is computed by the shell, so the echoed command line never matches it.
  learner.type('t-tput', `head -c ${bytes} /dev/zero | tr '\\0' 'x'; echo; echo tput-$((6*7))-done\r`);
  const marker = Buffer.from('tput-42-done');
  await new Promise<void>((resolve) => {
    learner.onOutput = () => {
      learner.send({ type: 'ack', terminalId: 't-tput', offset: tput.from + tput.length });
      if (tput.length - start > bytes && tput.bytes.subarray(-100).includes(marker)) resolve();
    };
  });
  learner.onOutput = undefined;
  const wsRate = (tput.length - start) / 1e6 / (ms(t0) / 1000);
  const directRate = await directThroughput(await findContainer(instance, learner.cluster!.nodes[0]!.ip), bytes);
  line('output throughput via WebSocket', `${wsRate.toFixed(1)} MB/s`, `direct exec ${directRate.toFixed(1)} MB/s`, wsRate / directRate);
  learner.close();

  // 5. Memory of an idle cluster.
  const ids = (await docker.listContainers({ filters: JSON.stringify({ label: [`swb.instance=${instance}`] }) })).map((c) => c.Id);
  const perNode = await Promise.all(ids.map(async (id) => ((await docker.getContainer(id).stats({ stream: false })) as { memory_stats: { usage: number; stats?: { cache?: number } } }).memory_stats));
  const mb = perNode.reduce((n, m) => n + (m.usage - (m.stats?.cache ?? 0)), 0) / 1e6;
  line('memory per idle cluster (3 nodes)', `${(mb / Math.max(1, ids.length / 3)).toFixed(0)} MB`);
} finally {
  await server.close();
  await removeInstance(instance);
}

// Isolation: the user-namespaced learner engine beside the hardened host-engine mode.
await benchIsolation();
// The cluster picture: scale -> WebSocket latency and CPU per watched cluster (its own server and clusters).
await benchVisualizer();
// Lab images preloaded into warm clusters: the seed path's first scale-out with and without them.
await benchPreload();
// A workshop's dashboard refresh for a room (no engine).
await benchWorkshops();
// Many learners typing for minutes, every byte checksummed end to end.
await benchSoak(soak);

/** The floor: three `docker run`s of the node image on the host engine, the old capabilities mode. */
async function rawDockerRun(image: string): Promise<number> {
  const id = `swb-bench-${crypto.randomBytes(3).toString('hex')}`;
  const flags = [
    '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
    '--security-opt', 'systempaths=unconfined', '--device-cgroup-rule', 'c *:* rwm',
  ];
  const t0 = process.hrtime.bigint();
  await sh('docker', ['network', 'create', id]);
  const names = ['manager', 'worker-1', 'worker-2'];
  await Promise.all(names.map((n) => sh('docker', ['run', '-d', '--name', `${id}-${n}`, '--hostname', n, '--network', id, ...flags, '-v', '/var/lib/docker', image,
    'dockerd', '--host=unix:///var/run/docker.sock', `--host=tcp://0.0.0.0:${INNER_DOCKER_PORT}`, '--tls=false'])));
  const ips = await Promise.all(names.map(async (n) => (await sh('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `${id}-${n}`])).stdout.trim()));
  await Promise.all(ips.map((ip) => waitForInnerDocker(ip, 60_000)));
  const elapsed = ms(t0);
  await sh('docker', ['rm', '-f', '-v', ...names.map((n) => `${id}-${n}`)]);
  await sh('docker', ['network', 'rm', id]);
  return elapsed;
}

async function echoSamples(n: number, roundTrip: (ch: string) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await roundTrip(String.fromCharCode(97 + (i % 26)));
    out.push(ms(t0));
  }
  return out.slice(10); // drop warm-up
}

async function findContainer(inst: string, ip: string): Promise<string> {
  const list = await docker.listContainers({ filters: JSON.stringify({ label: [`swb.instance=${inst}`] }) });
  return list.find((c) => Object.values(c.NetworkSettings.Networks).some((n) => n.IPAddress === ip))!.Id;
}

async function directExec(containerId: string) {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['/bin/bash', '-c', 'stty -icanon; cat >/dev/null'], AttachStdin: true, AttachStdout: true, Tty: true });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
  let onData: (() => void) | undefined;
  stream.on('data', () => onData?.());
  await sleep(300); // let stty run before measuring
  return {
    roundTrip: async (ch: string) => {
      const echoed = new Promise<void>((resolve) => (onData = resolve));
      stream.write(ch);
      await echoed;
    },
    close: () => stream.destroy(),
  };
}

/** Bytes per second of the same command read straight from a `docker exec` TTY stream. */
async function directThroughput(containerId: string, bytes: number): Promise<number> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['/bin/bash', '-c', `head -c ${bytes} /dev/zero | tr '\\0' 'x'`], AttachStdout: true, Tty: true });
  const t0 = process.hrtime.bigint();
  const stream = (await exec.start({ hijack: true, stdin: false, Tty: true })) as unknown as Duplex;
  let received = 0;
  stream.on('data', (c: Buffer) => (received += c.length));
  await new Promise((resolve) => stream.on('end', resolve));
  return received / 1e6 / (ms(t0) / 1000);
}
