/**
 * `npm run doctor`: what this host can and cannot do for Swarm Workbench,
 * with the fix for each problem. Reports only; changes nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { loadConfig } from '../sandbox-server/src/config.ts';
import { connectDocker, pingEngine } from '../sandbox-server/src/engine/docker.ts';
import Docker from 'dockerode';
import { detectHostFacts } from '../sandbox-server/src/engine/host.ts';
import { learnerEngineBlocker, REMAP_USER } from '../sandbox-server/src/engine/learner.ts';
import { learnerPidfile, learnerSocket } from '../sandbox-server/src/engine/node-engine.ts';
import { hostPidLimits, hostSysctls, learnerPidsBudget, missingSysctls, readSysctl } from '../sandbox-server/src/isolation/kernel-quotas.ts';
import { firewallIntact } from '../sandbox-server/src/isolation/firewall.ts';
import { errorMessage } from '../sandbox-server/src/log.ts';
import { configuredMirror } from '../sandbox-server/src/isolation/mirror-address.ts';

type Verdict = 'ok' | 'warn' | 'fail';
const rows: { verdict: Verdict; what: string; detail: string; fix?: string }[] = [];
const report = (verdict: Verdict, what: string, detail: string, fix?: string) => rows.push({ verdict, what, detail, fix });

const config = loadConfig();
const docker = connectDocker(config.DOCKER_HOST);
let engineUp = false;
try {
  report('ok', 'Docker Engine', `version ${await pingEngine(docker)}`);
  engineUp = true;
} catch (err) {
  report('fail', 'Docker Engine', errorMessage(err), 'Run `npm start` as root on Debian (it installs docker.io and starts dockerd), or start Docker yourself.');
}

if (engineUp) {
  const images = await docker.listImages();
  const tags = new Set(images.flatMap((i) => i.RepoTags ?? []));
  const probe = [...tags].find((t) => t.startsWith('swb/node:')) ?? [...tags].find((t) => t.startsWith('swb/debian:'));
  if (probe) {
    const facts = detectHostFacts(config.SWB_ISOLATION, '');
    report(
      facts.ipvs ? 'ok' : 'warn',
      'IPVS (swarm VIPs, routing mesh)',
      facts.ipvs ? 'available' : 'missing: service VIPs and ingress publishing (-p 5000:5000) will not answer',
      facts.ipvs ? undefined : 'Use a kernel with CONFIG_IP_VS. Until then lessons use --endpoint-mode dnsrr and --publish mode=host, and say so.',
    );
    report('ok', 'cgroups', facts.cgroup);
  } else {
    report('warn', 'Node security / IPVS', 'not probed: no local image yet', 'Run `npm start` once to build the images.');
  }
  const lab = ['swb/node', 'flask_app:2.0', 'flask_app:3.0', 'mysql/mysql-server:5.7'];
  const missing = lab.filter((name) => ![...tags].some((t) => t === name || t.startsWith(`${name}:`)));
  report(missing.length ? 'warn' : 'ok', 'Images', missing.length ? `missing: ${missing.join(', ')}` : 'node and lab images present', missing.length ? 'Run `npm start` (builds them from the Dockerfiles in sandbox-server/images).' : undefined);
  try {
    const info = await docker.info();
    const root = info.DockerRootDir as string;
    const free = fs.statfsSync(root);
    const gb = (free.bavail * free.bsize) / 1e9;
    report(gb < 10 ? 'warn' : 'ok', 'Free disk', `${gb.toFixed(1)} GB free under ${root} (each cluster needs ~0.3 GB plus the learner's images)`, gb < 10 ? 'Free space: `docker system prune` removes unused images and volumes.' : undefined);
  } catch (err) {
    report('warn', 'Free disk', `could not measure: ${errorMessage(err)}`);
  }
}

// Isolation: the user-namespaced learner engine, or the hardened fallback.
const subids = ['/etc/subuid', '/etc/subgid'].every((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes(`${REMAP_USER}:`));
if (config.SWB_ISOLATION === 'hardened') {
  report('warn', 'Isolation', 'hardened (SWB_ISOLATION=hardened): nodes on the host engine, capabilities + seccomp only, no user namespace', 'Unset SWB_ISOLATION to use the user-namespaced learner engine.');
} else {
  try {
    const learner = new Docker({ socketPath: learnerSocket(config) });
    const info = await learner.info();
    const userns = (info.SecurityOptions as string[]).some((o) => o.includes('userns'));
    report(userns ? 'ok' : 'fail', 'Isolation', `userns: learner engine ${info.ServerVersion} on ${learnerSocket(config)}, root in a node = uid ${/(\d+)\.\d+$/.exec(String(info.DockerRootDir))?.[1] ?? '?'} on this host`);
  } catch {
    const blocker = learnerEngineBlocker() ?? (subids ? null : `no ${REMAP_USER} ranges in /etc/subuid and /etc/subgid yet (made at start)`);
    report(
      blocker && !blocker.includes('made at start') ? 'fail' : 'warn',
      'Isolation',
      `learner engine not running${blocker ? `: ${blocker}` : ''}; the server starts it, or falls back to hardened mode (loudly) when it cannot`,
      'Run `npm start` as root on Debian (installs docker.io and xfsprogs, starts the learner engine).',
    );
  }
}
// The kernel quotas every learner node shares, sized for SWB_MAX_CLUSTERS (the server raises them at start).
{
  const needs = { nodes: config.SWB_MAX_CLUSTERS * (config.SWB_WORKERS + 1), pidsPerNode: config.SWB_NODE_PIDS };
  const short = missingSysctls(hostSysctls(needs));
  report(
    short.length ? 'warn' : 'ok',
    'Shared kernel quotas',
    short.length
      ? `too low for ${needs.nodes} nodes: ${short.map((s) => `${s.key.replaceAll('/', '.')} ${s.current} < ${s.min} (${s.why})`).join('; ')}`
      : `keys, inotify, pipe pages and pid space sized for ${needs.nodes} nodes`,
    short.length ? 'The server raises them when it starts the learner engine (as root); or set them with sysctl.' : undefined,
  );
  const enginePid = Number(fs.existsSync(learnerPidfile(config)) ? fs.readFileSync(learnerPidfile(config), 'utf8').trim() : 0);
  const raised = (k: string) => Math.max(readSysctl(k), short.find((s) => s.key === k)?.min ?? 0);
  // Without a running learner engine, this process's rlimit stands in (the server starts the engine with it).
  const nprocOf = enginePid && fs.existsSync(`/proc/${enginePid}`) ? enginePid : process.pid;
  const pids = learnerPidsBudget(needs, hostPidLimits(nprocOf, raised('kernel/pid_max')));
  report(
    pids.fits ? 'ok' : 'warn',
    'Node pids',
    `${needs.nodes} nodes x ${needs.pidsPerNode} pids ${pids.fits ? 'fit' : 'do not fit'} in the ${pids.budget} this host gives learner nodes together`,
    pids.fits ? undefined : 'Lower SWB_NODE_PIDS or SWB_MAX_CLUSTERS, or a few learners\' fork bombs could leave the others unable to start processes.',
  );
}
// How many learners this host serves at once (the default of SWB_MAX_CLUSTERS), and what bounds it.
{
  const s = config.sizing;
  const others = (Object.keys(s.byResource) as (keyof typeof s.byResource)[]).filter((r) => r !== s.bound).map((r) => `${r} ${s.byResource[r]}`);
  const derived = `this host serves ${s.limit} learners at once, bound by ${s.why}; the others alone would allow ${others.join(', ')}`;
  const over = s.explicit && config.SWB_MAX_CLUSTERS > s.limit;
  report(
    over ? 'warn' : 'ok',
    'Learners at once',
    s.explicit ? `SWB_MAX_CLUSTERS=${config.SWB_MAX_CLUSTERS} is set (${derived})` : `${derived} (the default of SWB_MAX_CLUSTERS)`,
    over ? `Past ${s.limit} clusters every learner slows down: unset SWB_MAX_CLUSTERS, or give this host more of its ${s.bound}.` : undefined,
  );
}
report('ok', 'Node disks', `${config.SWB_NODE_DISK_MB} MiB per node (XFS loop file), on a learner disk of at most ${config.SWB_LEARNER_DISK_GB} GiB under ${config.SWB_LEARNER_DIR}`);

if (config.SWB_MIRROR) {
  try {
    const res = await fetch(`http://${config.SWB_MIRROR_ADDR}:${config.SWB_MIRROR_PORT}/v2/_catalog`);
    const body = (await res.json()) as { repositories?: string[] };
    report('ok', 'Registry mirror', `${config.SWB_MIRROR_ADDR}:${config.SWB_MIRROR_PORT} (this address only): ${(body.repositories ?? []).join(', ')}`);
  } catch {
    report('warn', 'Registry mirror', `nothing answers on ${config.SWB_MIRROR_ADDR}:${config.SWB_MIRROR_PORT}`, '`npm start` starts it; or set SWB_MIRROR=off to pull from Docker Hub.');
  }
} else {
  report('ok', 'Registry mirror', 'off (SWB_MIRROR=off): nodes pull from Docker Hub');
}

if (!config.SWB_FIREWALL) {
  report('warn', 'Firewall', 'off (SWB_FIREWALL=off): learner nodes can reach this host, other networks and the internet');
} else if (await firewallIntact(configuredMirror(config)).catch(() => false)) {
  report('ok', 'Firewall', 'learner networks reach only their own nodes and the mirror (iptables and ip6tables)');
} else {
  const tools = ['iptables', 'ip6tables'].filter((t) => {
    try {
      execFileSync(t, ['--version'], { stdio: 'pipe' });
      return false;
    } catch {
      return true;
    }
  });
  report(tools.length ? 'fail' : 'warn', 'Firewall', tools.length ? `${tools.join(' and ')} missing: the server will refuse to start` : 'rules not installed yet', 'The server installs them at start (needs root, iptables and ip6tables).');
}

const icon = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
for (const r of rows) {
  console.log(`${icon[r.verdict]} ${r.what}: ${r.detail}`);
  if (r.fix) console.log(`     fix: ${r.fix}`);
}
process.exit(rows.some((r) => r.verdict === 'fail') ? 1 : 0);
