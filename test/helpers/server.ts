/**
 * A real sandbox server for a test file, in this process, on a free port,
 * with its own instance label so parallel test files never touch each other.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { loadConfig, type Config } from '../../sandbox-server/src/config.ts';
import Docker from 'dockerode';
import { connectDocker } from '../../sandbox-server/src/engine/docker.ts';
import { learnerSocket } from '../../sandbox-server/src/engine/node-engine.ts';
import { LABEL, labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { destroyCluster } from '../../sandbox-server/src/clusters/provision.ts';
import { createLogger } from '../../sandbox-server/src/log.ts';
import { runServer, type RunningServer } from '../../sandbox-server/src/main.ts';
import { paths } from '@contract/protocol.ts';
import { waitFor } from './wait.ts';

/** The host engine (images, the mirror, control containers of tests). */
export const hostDocker = connectDocker(process.env.DOCKER_HOST);
const envConfig = loadConfig({ ...process.env, SWB_LOG_FORMAT: 'pretty' });
/** The engine that runs learner nodes: the user-namespaced learner engine unless SWB_ISOLATION=hardened. */
export const docker =
  envConfig.SWB_ISOLATION === 'userns' && !envConfig.DOCKER_HOST ? new Docker({ socketPath: learnerSocket(envConfig) }) : hostDocker;

export function testConfig(name: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    PORT: '0',
    SWB_INSTANCE: `t-${name}-${crypto.randomBytes(2).toString('hex')}`.slice(0, 20),
    SWB_DATA_DIR: path.join(os.tmpdir(), `swb-test-${name}-${process.pid}`),
    SWB_POOL_SIZE: '0',
    // Every warm cluster would pull the lab image into each node (CPU and disk on two shared cores)
    // for tests that never scale out: tests with pool clusters (admission's latency, the bench's warm
    // pool) would pay for it. preload.test.ts and the bench's preload figure turn it on themselves.
    SWB_PRELOAD_IMAGES: 'none',
    SWB_WEB: 'false',
    SWB_LOG_LEVEL: process.env.SWB_TEST_LOG ?? 'error',
    SWB_LOG_FORMAT: 'pretty',
    // Simulated learners come from many networks: each sends its own X-Forwarded-For through
    // this trusted "proxy" (the test on the same host), and together they may use every cluster.
    SWB_TRUSTED_PROXY: '127.0.0.1',
    SWB_ANON_SHARE: '100',
    ...env,
  });
}

export async function startTestServer(name: string, env: Record<string, string> = {}): Promise<RunningServer & { config: Config }> {
  const config = testConfig(name, env);
  const server = await runServer(config, createLogger('pretty', { instance: config.SWB_INSTANCE }, config.SWB_LOG_LEVEL));
  return { ...server, url: `http://127.0.0.1:${server.port}`, config };
}

/** Everything labelled with this instance (or one cluster of it): containers, networks, volumes. */
export async function leftovers(instance: string, clusterId?: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = labelFilter(instance, clusterId);
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: volumes.Volumes?.length ?? 0 };
}

/** Remove every cluster of an instance (test clean-up, also after failures). */
export async function removeInstance(instance: string): Promise<void> {
  const filters = labelFilter(instance);
  const ids = new Set<string>();
  for (const c of await docker.listContainers({ all: true, filters })) ids.add(c.Labels[LABEL.cluster]!);
  for (const n of await docker.listNetworks({ filters })) ids.add(n.Labels?.[LABEL.cluster] ?? '');
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) ids.add(v.Labels?.[LABEL.cluster] ?? '');
  await Promise.all([...ids].filter(Boolean).map((id) => destroyCluster(docker, instance, id)));
}

/**
 * Clusters that test instances (`t-*`, the e2e instance) left behind when a run was killed.
 * Nobody else reaps them: their server is gone, and a learner engine restart brings their nodes
 * back (restart policy) to spin waiting for a cgroup hand-off that never comes. A CI run that
 * began with 30 such clusters took 9x as long. `npm test` owns these instances, so it clears them.
 */
export async function removeTestLeftovers(e2eInstance: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [LABEL.managed] });
  const instances = new Set<string>();
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  for (const l of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels), ...(volumes.Volumes ?? []).map((v) => v.Labels)]) {
    const instance = l?.[LABEL.instance];
    if (instance && (instance.startsWith('t-') || instance === e2eInstance)) instances.add(instance);
  }
  for (const instance of instances) await removeInstance(instance);
  return [...instances];
}

/** Poll a server's health (it may be a child process still starting) until `ok` holds. */
export async function waitForHealth(url: string, ok: (h: { sessions: number; warmClusters: number }) => boolean, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      try {
        const res = await fetch(`${url}${paths.health}`);
        return res.ok && ok((await res.json()) as { sessions: number; warmClusters: number });
      } catch {
        return false;
      }
    },
    timeoutMs,
    'server health',
  );
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
