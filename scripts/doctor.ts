/**
 * `npm run doctor`: what this host can and cannot do for Swarm Workbench,
 * with the fix for each problem. Reports only; changes nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { loadConfig } from '../sandbox-server/src/config.js';
import { connectDocker, pingEngine } from '../sandbox-server/src/engine/docker.js';
import { detectHostFacts } from '../sandbox-server/src/engine/host.js';
import { errorMessage } from '../sandbox-server/src/log.js';

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
    const facts = await detectHostFacts(docker, probe);
    report(
      'ok',
      'Node security',
      facts.security === 'privileged' ? '--privileged works' : `capability set (${facts.securityNote})`,
    );
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

if (config.SWB_MIRROR) {
  try {
    const res = await fetch(`http://127.0.0.1:${config.SWB_MIRROR_PORT}/v2/_catalog`);
    const body = (await res.json()) as { repositories?: string[] };
    report('ok', 'Registry mirror', `port ${config.SWB_MIRROR_PORT}: ${(body.repositories ?? []).join(', ')}`);
  } catch {
    report('warn', 'Registry mirror', `nothing answers on port ${config.SWB_MIRROR_PORT}`, '`npm start` starts it; or set SWB_MIRROR=off to pull from Docker Hub.');
  }
} else {
  report('ok', 'Registry mirror', 'off (SWB_MIRROR=off): nodes pull from Docker Hub');
}

try {
  execFileSync('iptables', ['-w', '-C', 'INPUT', '-i', 'swb+', '-j', 'SWB-INPUT'], { stdio: 'pipe' });
  report('ok', 'Firewall', 'learner networks are closed to this host except the mirror');
} catch {
  report(config.SWB_FIREWALL ? 'warn' : 'ok', 'Firewall', 'rules not installed yet', 'The server installs them at start (needs root and iptables).');
}

const icon = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
for (const r of rows) {
  console.log(`${icon[r.verdict]} ${r.what}: ${r.detail}`);
  if (r.fix) console.log(`     fix: ${r.fix}`);
}
process.exit(rows.some((r) => r.verdict === 'fail') ? 1 : 0);
