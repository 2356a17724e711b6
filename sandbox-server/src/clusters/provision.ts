/**
 * Provision and destroy a learner cluster: one private bridge network and one
 * manager + N worker Docker-in-Docker nodes, each with its own labelled volume
 * for /var/lib/docker. No swarm yet: the learner runs `docker swarm init`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { isNotFound } from '../engine/docker.ts';
import { INNER_DOCKER_PORT } from '../engine/inner-api.ts';
import { waitForCgroups, type CgroupOwner } from '../engine/cgroups.ts';
import type { Isolation } from '../engine/host.ts';
import { nodeSecurityOpts } from '../isolation/node-security.ts';
import { ensureNodeDisk, NODE_WRITABLE, nodeDiskOf, releaseDisksNamed, releaseNodeDisk, type NodeDisks } from '../engine/node-disk.ts';
import { putLabFiles } from '../files/labfiles.ts';
import { confineStartedNode, type Ulimit } from '../isolation/kernel-quotas.ts';
import type { NodeInfo } from '@contract/protocol.ts';
import { LABEL, clusterLabels, labelFilter } from '../engine/labels.ts';
import { freeSubnets, gatewayOf } from './subnets.ts';
import { mirrorHost, type MirrorEndpoint } from '../isolation/mirror-address.ts';
import { retryUntil } from '../retry.ts';

export interface ClusterNode extends NodeInfo {
  containerId: string;
}

export interface Cluster {
  id: string;
  networkId: string;
  nodes: ClusterNode[];
  createdAt: number;
}

export interface ProvisionSpec {
  docker: Docker;
  instance: string;
  nodeImage: string;
  workers: number;
  isolation: Isolation;
  /** Under a user namespace: who the node's cgroup directories are handed to after start. */
  cgroupOwner?: CgroupOwner | null;
  /** A disk of its own per node for /var/lib/docker (else a plain volume). */
  disks?: NodeDisks | null;
  limits: { memoryMb: number; cpus: number; pids: number };
  /** Each node's share of the rlimits every node of the learner engine shares (NodeEngine.nodeUlimits). */
  ulimits?: Ulimit[];
  /** Range the cluster networks' /24 subnets are taken from. */
  subnetRange: string;
  /** The registry mirror on the host (its own address, reached through the network gateway); null = Docker Hub. */
  mirror: MirrorEndpoint | null;
  labArchive: Buffer;
  onProgress?: (step: string, fraction: number) => void;
}

export function nodeNames(workers: number): string[] {
  return ['manager', ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`)];
}

export async function provisionCluster(spec: ProvisionSpec): Promise<Cluster> {
  const { docker, instance } = spec;
  const id = crypto.randomBytes(5).toString('hex');
  const labels = clusterLabels(instance, id);
  const progress = spec.onProgress ?? (() => undefined);
  const names = nodeNames(spec.workers);
  try {
    progress('creating network', 0.05);
    const { network } = await createNetwork(spec, id, labels);
    const mirror = spec.mirror ? mirrorHost(spec.mirror) : null;

    progress('creating nodes', 0.2);
    const containers = await Promise.all(
      names.map((name) => createNode(spec, { id, name, labels, networkName: `swb-${instance}-${id}`, mirror })),
    );
    progress('copying lesson files', 0.4);
    await Promise.all(containers.map((c) => putLabFiles(c, spec.labArchive)));
    progress('starting nodes', 0.5);
    await Promise.all(
      containers.map(async (c) => {
        await c.start();
        if (spec.cgroupOwner) await confineStartedNode(docker, c.id, spec.cgroupOwner);
      }),
    );
    const nodes = await Promise.all(
      containers.map(async (c, i): Promise<ClusterNode> => {
        const info = await c.inspect();
        const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress ?? '';
        return { name: names[i]!, role: i === 0 ? 'manager' : 'worker', ip, containerId: c.id };
      }),
    );
    progress('waiting for Docker inside the nodes', 0.7);
    await Promise.all(nodes.map((n) => waitForInnerDocker(n.ip, 60_000)));
    progress('ready', 1);
    return { id, networkId: network.id, nodes, createdAt: Date.now() };
  } catch (err) {
    await destroyCluster(docker, instance, id).catch(() => undefined);
    throw err;
  }
}

/** The /24 subnets directly routed on this host's interfaces (from /proc/net/route). */
export function routedSubnets(table = readRoutes()): Set<string> {
  const out = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const [, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!dest || !mask || mask !== '00FFFFFF') continue;
    const n = parseInt(dest, 16);
    out.add(`${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.0/24`);
  }
  return out;
}

function readRoutes(): string {
  try {
    return fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return '';
  }
}

/**
 * A bridge on a free /24 of our range. Provisions run at once (a cluster's warm pool, other servers
 * on the same engine) and may race for one: each picks at random among the first 32 free, and a
 * loser tries again after a short random pause (six racers once lost six tries in a row on 8).
 */
async function createNetwork(spec: ProvisionSpec, id: string, labels: Record<string, string>) {
  for (let attempt = 1; ; attempt++) {
    // A subnet routed on this host already (another engine's network, e.g. the host engine's
    // beside the learner engine) would make node addresses ambiguous: skip those too.
    const routed = routedSubnets();
    const free = (await freeSubnets(spec.docker, spec.subnetRange)).filter((s) => !routed.has(s));
    if (free.length === 0) throw new Error(`no free subnet left in ${spec.subnetRange}: too many clusters on this host (raise SWB_SUBNET_POOL)`);
    const subnet = free[Math.floor(Math.random() * Math.min(free.length, 32))]!;
    try {
      const network = await spec.docker.createNetwork({
        Name: `swb-${spec.instance}-${id}`,
        Driver: 'bridge',
        Labels: labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gatewayOf(subnet) }] },
        // A known bridge name lets the firewall match every learner network with `-i swb+`.
        // No NAT: learner nodes reach only their own network and the mirror on the host (the firewall
        // closes everything else too); IPv6 stays off on learner networks.
        Options: { 'com.docker.network.bridge.name': `swb${id}`, 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
        EnableIPv6: false,
      });
      return { network, gateway: gatewayOf(subnet) };
    } catch (err) {
      if (attempt >= 8 || !/overlap/i.test(String(err))) throw err;
      await sleep(Math.random() * 200 * attempt);
    }
  }
}

async function createNode(
  spec: ProvisionSpec,
  n: { id: string; name: string; labels: Record<string, string>; networkName: string; mirror: string | null },
): Promise<Docker.Container> {
  const labels = { ...n.labels, [LABEL.node]: n.name, [LABEL.role]: n.name === 'manager' ? 'manager' : 'worker' };
  const name = `swb-${spec.instance}-${n.id}-${n.name}`;
  // With a disk per node, the node's own filesystem is read-only and every place it writes is on
  // that disk (NODE_WRITABLE), with /run in memory (bounded by the node's memory limit).
  const disk = spec.disks ? await ensureNodeDisk(spec.disks, name) : null;
  const storage: Docker.HostConfig = disk
    ? {
        Mounts: NODE_WRITABLE.map((w) => ({ Type: 'bind', Source: path.join(disk, w.folder), Target: w.target })),
        ReadonlyRootfs: true,
        Tmpfs: { '/run': 'rw,nosuid,nodev,size=64m' },
      }
    : { Mounts: [{ Type: 'volume', Source: (await spec.docker.createVolume({ Name: name, Labels: labels })).name, Target: '/var/lib/docker' }] };
  const dockerd = [
    'dockerd',
    '--host=unix:///var/run/docker.sock',
    `--host=tcp://0.0.0.0:${INNER_DOCKER_PORT}`,
    '--tls=false',
    ...(n.mirror ? [`--registry-mirror=http://${n.mirror}`, `--insecure-registry=${n.mirror}`] : []),
  ];
  return spec.docker.createContainer({
    name,
    Image: spec.nodeImage,
    Hostname: n.name,
    Cmd: spec.cgroupOwner ? waitForCgroups(dockerd) : dockerd,
    Labels: labels,
    Env: ['container=docker'],
    HostConfig: {
      ...nodeSecurityOpts(spec.isolation),
      NetworkMode: n.networkName,
      ...storage,
      Memory: spec.limits.memoryMb * 1024 * 1024,
      MemorySwap: spec.limits.memoryMb * 1024 * 1024,
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
      PidsLimit: spec.limits.pids,
      Ulimits: spec.ulimits ?? [],
      // A learner who kills dockerd (the node's main process) gets the node back, state intact.
      RestartPolicy: { Name: 'unless-stopped' },
    },
    NetworkingConfig: { EndpointsConfig: { [n.networkName]: { Aliases: [n.name] } } },
  });
}

/** Poll the inner engine's /_ping until it answers OK. */
export async function waitForInnerDocker(ip: string, timeoutMs: number): Promise<void> {
  const up = await retryUntil(() => pingInner(ip), (ok) => ok, { everyMs: 40, deadline: Date.now() + timeoutMs });
  if (!up) throw new Error(`Docker inside node ${ip} did not start within ${timeoutMs / 1000}s`);
}

function pingInner(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: INNER_DOCKER_PORT, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Remove a cluster's containers, volumes and network. Safe to call twice. */
export async function destroyCluster(docker: Docker, instance: string, clusterId: string): Promise<void> {
  const filters = labelFilter(instance, clusterId);
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreNotFound)),
  );
  const disks = containers.flatMap((c) => nodeDiskOf(c.Mounts) ?? []);
  await Promise.all(disks.map((d) => releaseNodeDisk(d.mount)));
  // Also disks whose node was never created or is already gone (a failed provision, a second teardown).
  await releaseDisksNamed(`swb-${instance}-${clusterId}-`);
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(ignoreNotFound)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreNotFound)));
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err) && !String(err).includes('removal of container') && !String(err).includes('is already in progress')) throw err;
}
