/**
 * Configuration, parsed once from the environment at start-up and passed in.
 * Every variable has a default that works out of the box on one machine.
 */
import path from 'node:path';
import { z } from 'zod';
import { clusterCost, describeBound, hostCapacity, type HostCapacity } from './clusters/capacity.ts';
import { readHostResources } from './clusters/host-resources.ts';
import { IMAGE_REFERENCE } from './engine/inner-api.ts';

const bool = z.enum(['1', '0', 'true', 'false', 'on', 'off']).transform((v) => ['1', 'true', 'on'].includes(v));
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
/** Comma-separated image references; `none` (or nothing) for none. */
const imageList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))])
    .transform((list) => (list.length === 1 && ['none', 'off'].includes(list[0]!) ? [] : list))
    .refine((list) => list.every((ref) => IMAGE_REFERENCE.test(ref)), 'comma-separated image references such as flask_app:3.0, or none');

export const configSchema = z.object({
  PORT: int(3000, 0, 65535).describe('Port of the one learner-facing URL (web app + sandbox).'),
  HOST: z.string().default('0.0.0.0').describe('Address to listen on. Learner nodes are firewalled off this host either way.'),
  SWB_INSTANCE: z
    .string()
    .regex(/^[a-z0-9-]{1,20}$/)
    .default('main')
    .describe('Name of this server instance; everything it creates is labelled with it, so two instances never touch each other\'s clusters.'),
  SWB_DATA_DIR: z.string().default('.data').describe('Where the session database and logs live.'),
  SWB_CONTENT_DIR: z
    .string()
    .optional()
    .describe('Folder with lessons/ whose exercises the server checks (default: the repo\'s content/); the web build reads the same variable.'),
  SWB_WORKERS: int(2, 0, 9).describe('Worker nodes per learner cluster (plus one manager).'),
  SWB_POOL_SIZE: int(1, 0, 50).describe('Ready clusters kept warm so a learner never waits for a cold start.'),
  SWB_SUBNET_POOL: z
    .string()
    .default('10.89.0.0/16')
    .describe('Address range for learner networks; each cluster takes one /24 (a /16 holds 256 clusters).'),
  SWB_MAX_CLUSTERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      'Most clusters this host runs at once (learners\' and warm ones). Past it, new learners are told the server is full instead of slowing everyone down. Default: what this host\'s cores, memory, learner disk and pid space hold (clusters/capacity.ts; `npm run doctor` prints it).',
    ),
  SWB_PUBLIC: bool
    .default(true)
    .describe('Off: only workshop learners (who joined with a code) get clusters; visitors can read lessons but not start a sandbox.'),
  SWB_ANON_PER_ADDRESS: int(2, 0, 1000).describe(
    'Most clusters visitors without a workshop may hold at once from one network address (IPv6: one /64). Workshop joins are limited by the workshop\'s capacity instead.',
  ),
  SWB_ANON_SHARE: int(50, 0, 100).describe('Percent of SWB_MAX_CLUSTERS that visitors without a workshop may hold together; the rest is kept for workshops.'),
  SWB_NEW_SESSIONS_PER_NETWORK: int(30, 1, 1_000_000).describe(
    'New sessions (page views without a session cookie) one network (IPv6: one /64) may start at once; they come back at this many per 10 minutes. Past it: 429 with Retry-After.',
  ),
  SWB_TRUSTED_PROXY: z
    .string()
    .default('')
    .describe('Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed (e.g. 127.0.0.1 for a proxy on this host). Empty: the socket\'s address counts.'),
  SWB_PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .describe('The URL learners open (e.g. https://swarm.example.org). Its host name is the only one answered (DNS-rebinding guard); https makes cookies Secure. Unset: localhost and 127.0.0.1 only.'),
  SWB_ALLOWED_HOSTS: z.string().default('').describe('More host names (comma-separated) the server answers to besides the public URL\'s, e.g. a LAN address.'),
  SWB_ADMIN_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('The instructor key that may create workshops. Unset: one is generated into the data dir at first start and printed by npm start (npm run instructor prints it again).'),
  SWB_NODE_MEMORY_MB: int(1024, 128, 65536).describe('Memory limit per node (MiB).'),
  SWB_NODE_CPUS: z.coerce.number().min(0.1).max(64).default(1).describe('CPU limit per node.'),
  SWB_NODE_PIDS: int(512, 64, 1_000_000).describe('Process limit per node (all nodes together must fit the host: see isolation/kernel-quotas.ts).'),
  SWB_IDLE_TTL_MIN: int(45, 1, 24 * 60).describe('Minutes without a connected browser before a session and its cluster are reaped.'),
  SWB_MAX_TTL_MIN: int(240, 1, 7 * 24 * 60).describe('Absolute lifetime of a session (minutes).'),
  SWB_SCROLLBACK_KB: int(256, 16, 16384).describe('Terminal output kept per shell for replay after a reload (KiB).'),
  SWB_MAX_TERMINALS: int(12, 1, 255).describe('Most shells open at once in one learner cluster; past it a new terminal tab is refused with a clear message.'),
  SWB_TERMINAL_IDLE_MIN: int(30, 1, 24 * 60).describe('A shell that had a viewer, has none now and did nothing for this many minutes is closed.'),
  SWB_WS_PING_S: int(30, 0, 3600).describe('Seconds between WebSocket heartbeats; a socket that misses one is dropped (0 = no heartbeat).'),
  SWB_MIRROR: bool.default(true).describe('Serve lab images from the local read-only registry mirror. Off: nodes pull from Docker Hub.'),
  SWB_MIRROR_PORT: int(5000, 1, 65535).describe('Port of the local registry mirror.'),
  SWB_MIRROR_ADDR: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address such as 10.91.255.254')
    .default('10.91.255.254')
    .describe(
      'The one address the registry mirror listens on: put on this host\'s loopback, reached by nodes through their gateway, outside every learner and engine range. Nothing else on the host (other interfaces, the gateways) answers on the mirror\'s port.',
    ),
  SWB_PRELOAD_IMAGES: imageList('flask_app:3.0').describe(
    'Images every node of a warm cluster pulls from the mirror before a learner gets it (comma-separated, as the lessons type them; none = off), so the seed path\'s first scale-out starts its tasks on the workers without pulling. Cold starts never wait for it; with SWB_MIRROR=off nothing is preloaded.',
  ),
  SWB_MIRROR_DIR: z.string().default('/var/lib/swb/registry').describe('Storage of the local registry mirror.'),
  SWB_REGISTRY_BIN: z.string().default('/usr/bin/docker-registry').describe('The registry binary that serves the mirror (Debian\'s docker-registry package).'),
  SWB_FIREWALL: bool
    .default(true)
    .describe('Install iptables/ip6tables rules that keep learner nodes off this host (except the mirror), off other networks and off the internet. Off only for debugging.'),
  SWB_ISOLATION: z
    .enum(['userns', 'hardened'])
    .default('userns')
    .describe('userns: learner nodes run on a dedicated Docker Engine with --userns-remap (root in a node is an unprivileged uid on the host); hardened: on the host engine with capabilities only (the fallback when the host cannot run the learner engine).'),
  SWB_LEARNER_DIR: z.string().default('/var/lib/swb/learner-engine').describe('Disk image, data root and log of the learner engine.'),
  SWB_LEARNER_DISK_GB: int(64, 4, 100_000).describe('Size cap of the learner engine\'s disk (a sparse XFS file; at most 80 % of the free space when first made).'),
  SWB_NODE_DISK_MB: int(8192, 320, 1_000_000).describe('Disk of each node\'s /var/lib/docker (MiB): a learner who fills it gets ENOSPC.'),
  SWB_CLUSTER_DISK_MB: int(6144, 256, 1_000_000).describe(
    'Real disk a cluster\'s nodes may use together (MiB; their disks are sparse): a cluster over it is reset, its learner told why.',
  ),
  SWB_DISK_GUARD_S: int(10, 1, 3600).describe('Seconds between looks at what each cluster takes of the learner disk.'),
  SWB_WEB: bool.default(true).describe('Serve the web app from the same process and port (off: sandbox only).'),
  SWB_LOG_FORMAT: z.enum(['pretty', 'json']).default(process.stdout.isTTY ? 'pretty' : 'json'),
  SWB_LOG_LEVEL: z.enum(['info', 'warn', 'error', 'silent']).default('info'),
  DOCKER_HOST: z.string().optional().describe('Docker Engine to use (default: the local socket).'),
});

export type Config = Omit<z.infer<typeof configSchema>, 'SWB_MAX_CLUSTERS'> & {
  dataDir: string;
  /** Set, or else derived from this host (`sizing`). */
  SWB_MAX_CLUSTERS: number;
  /** What this host holds, why, and whether SWB_MAX_CLUSTERS was set instead. */
  sizing: Sizing;
};

export interface Sizing extends HostCapacity {
  /** SWB_MAX_CLUSTERS was set: it wins over `limit`. */
  explicit: boolean;
  /** The bound in words, e.g. "cores (2 cores, 80 % of them for learners, 0.07 of a core a cluster)". */
  why: string;
}

/** Parse the environment, or throw one readable message naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const data = parsed.data;
  // Read once here (a few /proc files and statfs calls): everything else gets the answer passed in.
  const host = readHostResources({ learnerDir: data.SWB_LEARNER_DIR, learnerDiskGb: data.SWB_LEARNER_DISK_GB });
  const cost = clusterCost(data.SWB_WORKERS, data.SWB_NODE_PIDS);
  const capacity = hostCapacity(host, cost);
  const sizing: Sizing = { ...capacity, explicit: data.SWB_MAX_CLUSTERS !== undefined, why: describeBound(capacity, host, cost) };
  return { ...data, SWB_MAX_CLUSTERS: data.SWB_MAX_CLUSTERS ?? Math.min(1000, capacity.limit), sizing, dataDir: path.resolve(data.SWB_DATA_DIR) };
}
