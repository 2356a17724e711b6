// End-to-end check of the images and the mirror on this host, by hand:
//   npx tsx sandbox-server/src/images/smoke.ts [--keep]
// Builds (if needed), starts the mirror, then runs the tutorial's path on three real nodes: swarm
// init/join, database + app services, the "Unknown server host 'database'" page, an overlay network
// that fixes it, and a push to the read-only mirror that must fail. Everything it creates carries
// the label swb.test=images and is removed at the end (unless --keep).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { ensureImages } from './index.ts';
import { ensureMirror } from './mirror.ts';
import { retryUntil } from '../retry.ts';
import { LAB_DIR } from '@contract/protocol.ts';
import { loadConfig } from '../config.ts';
import { INNER_DOCKER_PORT } from '../engine/inner-api.ts';
import { execInNode } from '../engine/node-exec.ts';
import { mirrorHost } from '../isolation/mirror-address.ts';

const LABEL = { 'swb.test': 'images' };
const docker = new Docker();
const t0 = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);
const files = fileURLToPath(new URL('../../../content/files/', import.meta.url));
// No IPVS (some VM kernels): service VIPs and the routing mesh do not work, DNS round robin does.
const ipvs = existsSync('/proc/net/ip_vs');

async function main(): Promise<void> {
  const images = await ensureImages(docker, log);
  const config = loadConfig();
  const mirror = await ensureMirror({ docker, port: config.SWB_MIRROR_PORT, addr: config.SWB_MIRROR_ADDR, dataDir: config.SWB_MIRROR_DIR, images: images.lab, log, registryBin: config.SWB_REGISTRY_BIN });
  if (!ipvs) log('no IPVS on this host: using --endpoint-mode dnsrr and --publish mode=host');

  const net = await docker.createNetwork({ Name: `swbt-images-${process.pid}`, Driver: 'bridge', Labels: LABEL });
  const mirrorAddr = mirrorHost(mirror);
  const nodes: Record<string, Docker.Container> = {};
  const started = Date.now();
  for (const name of ['manager', 'worker-1', 'worker-2']) {
    nodes[name] = await docker.createContainer({
      Image: images.node,
      name: `swbt-${process.pid}-${name}`,
      Hostname: name,
      Labels: LABEL,
      Cmd: ['dockerd', '--host=unix:///var/run/docker.sock', `--host=tcp://0.0.0.0:${INNER_DOCKER_PORT}`, '--tls=false',
        `--registry-mirror=http://${mirrorAddr}`, `--insecure-registry=${mirrorAddr}`],
      HostConfig: {
        NetworkMode: net.id,
        // Works with or without --privileged support; the node's entrypoint makes cgroups writable.
        CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'],
        SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        MaskedPaths: [], ReadonlyPaths: [],
        DeviceCgroupRules: ['c *:* rwm'],
      },
    });
  }
  await Promise.all(Object.values(nodes).map((c) => c.start()));
  const all = Object.entries(nodes);
  await Promise.all(all.map(([, c]) => until(async () => (await sh(c, 'docker info >/dev/null 2>&1')).code === 0, 30_000, 'inner dockerd')));
  log(`3 nodes answering ${((Date.now() - started) / 1000).toFixed(1)} s after create`);

  const manager = nodes.manager!;
  const ip = async (c: Docker.Container) => Object.values((await c.inspect()).NetworkSettings.Networks)[0]!.IPAddress;
  await run(manager, 'docker swarm init');
  const token = (await run(manager, 'docker swarm join-token -q worker')).trim();
  for (const [name, c] of all.filter(([n]) => n !== 'manager')) {
    await run(c, `docker swarm join --token ${token} ${await ip(manager)}:2377`);
    log(`${name} joined`);
  }
  for (const [, c] of all) await c.putArchive(await labFiles(), { path: LAB_DIR });

  let pullStart = Date.now();
  await run(nodes['worker-2']!, 'docker pull -q flask_app:3.0');
  log(`pull flask_app:3.0 through the mirror (fresh node): ${((Date.now() - pullStart) / 1000).toFixed(2)} s`);
  pullStart = Date.now();
  await run(nodes['worker-2']!, 'docker pull -q mysql/mysql-server:5.7');
  log(`pull mysql/mysql-server:5.7 (base layer already there): ${((Date.now() - pullStart) / 1000).toFixed(2)} s`);

  const dnsrr = ipvs ? '' : '--endpoint-mode dnsrr';
  await run(manager, `docker service create -q --name database ${dnsrr} --env-file /lab/.env ` +
    '--mount type=bind,src=/lab/init.sql,dst=/docker-entrypoint-initdb.d/init.sql mysql/mysql-server:5.7');
  log('service database created');
  await run(manager, `docker service create -q --name app ${dnsrr} --publish mode=host,target=5000,published=5000 flask_app:3.0`);
  log('service app created');
  const page = async () => {
    for (const [, c] of all) {
      const res = await fetch(`http://${await ip(c)}:5000/`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
      if (res) return { status: res.status, text: await res.text() };
    }
    return undefined;
  };
  const before = await until(async () => {
    const p = await page();
    return p?.status === 500 ? p : undefined;
  }, 60_000, 'app page with the database error');
  const error = /<pre>(.*)<\/pre>/s.exec(before.text)?.[1]?.replace(/&quot;/g, '"').replace(/&#x27;/g, "'");
  check(/OperationalError: \(2005, "Unknown (MySQL )?server host 'database' \(-2\)"\)/.test(error ?? ''), `before the network: HTTP 500 "${error}"`);

  await run(manager, 'docker network create --driver=overlay app');
  await run(manager, 'docker service update -q --network-add app database');
  await run(manager, 'docker service update -q --network-add app app');
  const after = await until(async () => {
    const p = await page();
    return p?.status === 200 ? p : undefined;
  }, 90_000, 'app page with the rows');
  check(after.text.includes('Hello from the database service!'), 'after --network-add: the page lists the init.sql rows');
  check(/v3\.0/.test(after.text), 'the page shows version 3.0');

  // worker-2 pulled flask_app:3.0 by tag above (service tasks pull by digest, untagged).
  const push = await sh(nodes['worker-2']!, `docker tag flask_app:3.0 ${mirrorAddr}/library/pushed:1 && docker push ${mirrorAddr}/library/pushed:1`);
  check(push.code !== 0 && /405|not allowed/i.test(push.out), `push to the mirror is refused (${push.out.trim().split('\n').pop()})`);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`FAILED: ${what}`);
  log(`ok: ${what}`);
}

async function labFiles(): Promise<NodeJS.ReadableStream> {
  const pack = tar.pack();
  for (const name of ['.env', 'init.sql']) pack.entry({ name }, await readFile(`${files}${name}`));
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

/** Runs a shell command in a node (with the server's deadline, like every exec it runs there). */
async function sh(c: Docker.Container, cmd: string): Promise<{ code: number; out: string }> {
  const { exitCode, output } = await execInNode(c, ['sh', '-c', cmd], { node: c.id.slice(0, 12), what: cmd, deadlineMs: 300_000 });
  return { code: exitCode ?? -1, out: output };
}

async function run(c: Docker.Container, cmd: string): Promise<string> {
  const { code, out } = await sh(c, cmd);
  if (code !== 0) throw new Error(`\`${cmd}\` failed (${code}):\n${out}`);
  return out;
}

async function until<T>(fn: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const v = await retryUntil(() => fn().catch(() => undefined), (answer) => !!answer, { everyMs: 250, deadline: Date.now() + ms });
  if (v) return v;
  throw new Error(`timed out waiting for ${what}`);
}

async function cleanup(): Promise<void> {
  const filters = { label: ['swb.test=images'] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

try {
  await main();
  log('smoke test passed');
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  if (!process.argv.includes('--keep')) {
    await cleanup();
    log('cleaned up (label swb.test=images)');
  }
}
