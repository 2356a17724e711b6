/**
 * The sandbox engine, wired: host facts -> firewall -> reconcile leftovers ->
 * warm pool -> sessions -> HTTP/WebSocket handlers. Images and the mirror are
 * prepared by the caller and passed in.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import type { Config } from './config.js';
import { detectHostFacts, type HostFacts } from './engine/host.js';
import { labArchive, readLabFiles } from './files/labfiles.js';
import { LiveCluster } from './clusters/live.js';
import { ClusterPool } from './clusters/pool.js';
import { destroyCluster, provisionCluster, type Cluster } from './clusters/provision.js';
import { reconcileClusters } from './clusters/reconcile.js';
import { LessonCatalog } from './checks/catalog.js';
import { CheckService } from './checks/checker.js';
import { ProgressStore } from './checks/progress.js';
import { createSandboxHttp, type SandboxHttp } from './http/routes.js';
import { installFirewall } from './isolation/firewall.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';
import { SessionManager } from './sessions/manager.js';
import { SessionStore } from './sessions/store.js';
import { openWorkshopStore, startWorkshops, type Workshops } from './workshops/index.js';

export interface SandboxDeps {
  config: Config;
  docker: Docker;
  nodeImage: string;
  /** Port of the running registry mirror, or null to let nodes pull from Docker Hub. */
  mirrorPort: number | null;
  labFilesDir: string;
  /** Lessons whose exercises are checked (default: `lessons` beside labFilesDir). */
  lessonsDir?: string;
  log: Logger;
}

export interface Sandbox {
  http: SandboxHttp;
  facts: HostFacts;
  sessions: SessionManager;
  pool: ClusterPool;
  checks: CheckService;
  workshops: Workshops;
  /** Stop serving; learners' clusters stay up for the next start to adopt, warm ones are removed. */
  close(): Promise<void>;
}

export async function startSandbox(deps: SandboxDeps): Promise<Sandbox> {
  const { config, docker, log } = deps;
  const facts = await detectHostFacts(docker, deps.nodeImage);
  log.info('host facts', { security: facts.security, ipvs: facts.ipvs, cgroup: facts.cgroup });
  if (facts.securityNote) log.warn(facts.securityNote);
  if (!facts.ipvs) log.warn('no IPVS on this host: swarm VIPs and the ingress routing mesh will not work; use dnsrr and host-mode publishing');

  if (config.SWB_FIREWALL) {
    await installFirewall(deps.mirrorPort).catch((err) =>
      log.error('could not install the firewall rules that keep learner nodes off this host', { error: errorMessage(err) }),
    );
  }

  const archive = await labArchive(readLabFiles(deps.labFilesDir));
  const scrollbackBytes = config.SWB_SCROLLBACK_KB * 1024;
  const watch = { ipvs: facts.ipvs, log: log.child({ part: 'cluster-state' }) };
  const live = (c: Cluster) => new LiveCluster(c, docker, scrollbackBytes, watch);
  const provision = async (onProgress?: (step: string, fraction: number) => void) =>
    live(
      await provisionCluster({
        docker,
        instance: config.SWB_INSTANCE,
        nodeImage: deps.nodeImage,
        workers: config.SWB_WORKERS,
        security: facts.security,
        limits: { memoryMb: config.SWB_NODE_MEMORY_MB, cpus: config.SWB_NODE_CPUS, pids: config.SWB_NODE_PIDS },
        subnetRange: config.SWB_SUBNET_POOL,
        mirrorPort: deps.mirrorPort,
        labArchive: archive,
        onProgress,
      }),
    );
  const destroy = async (c: LiveCluster) => {
    c.closeTerminals();
    c.stopWatching();
    await destroyCluster(docker, config.SWB_INSTANCE, c.id);
  };

  // Learners' clusters, warm ones and cold starts all count against the host's limit.
  const hasRoom = (): boolean => sessions.clustersInUse + pool.running < config.SWB_MAX_CLUSTERS;
  const pool = new ClusterPool(config.SWB_POOL_SIZE, () => provision(), destroy, log.child({ part: 'pool' }), hasRoom);
  const store = new SessionStore(path.join(config.dataDir, `sessions-${config.SWB_INSTANCE}.db`));
  const workshopStore = openWorkshopStore(config.dataDir, config.SWB_INSTANCE);
  const sessions = new SessionManager({
    store,
    pool,
    provision,
    destroy,
    idleTtlMs: config.SWB_IDLE_TTL_MIN * 60_000,
    maxTtlMs: config.SWB_MAX_TTL_MIN * 60_000,
    hostLimits: facts.limits,
    log: log.child({ part: 'sessions' }),
    pinnedUntil: (id) => workshopStore.openUntil(id),
    hasRoom,
  });

  // Adopt what an earlier run left: owned clusters go back to their learners, the rest to the pool.
  const found = new Map((await reconcileClusters(docker, config.SWB_INSTANCE, log)).map((c) => [c.id, c]));
  for (const row of store.all()) {
    const cluster = row.clusterId ? found.get(row.clusterId) : undefined;
    if (row.clusterId) found.delete(row.clusterId);
    sessions.restore(row, cluster && live(cluster));
  }
  for (const cluster of found.values()) {
    const adopted = live(cluster);
    if (pool.readyCount >= config.SWB_POOL_SIZE) {
      await destroy(adopted); // more warm clusters than the pool wants now
      continue;
    }
    adopted.prewarmShells();
    pool.adopt(adopted);
  }
  if (sessions.count || pool.readyCount) log.info('adopted clusters from an earlier run', { sessions: sessions.count, pool: pool.readyCount });
  await sessions.reap();
  pool.refill();
  sessions.startReaper();

  const dbFile = path.join(config.dataDir, `sessions-${config.SWB_INSTANCE}.db`);
  const progress = new ProgressStore(dbFile);
  progress.pruneEndedSessions();
  const checks = new CheckService({
    catalog: new LessonCatalog(deps.lessonsDir ?? path.join(deps.labFilesDir, '..', 'lessons'), log.child({ part: 'lessons' }), { ipvs: facts.ipvs }),
    progress,
    hostDocker: docker,
    ipvs: facts.ipvs,
    log,
  });

  const workshops = startWorkshops({
    store: workshopStore,
    sessions,
    pool,
    basePoolSize: config.SWB_POOL_SIZE,
    lessons: checks.deps.catalog,
    progress,
    checks,
    hasRoom,
    maxClusters: config.SWB_MAX_CLUSTERS,
    sessionMaxAgeSeconds: config.SWB_MAX_TTL_MIN * 60,
    log,
  });
  const sandboxHttp = createSandboxHttp({
    sessions,
    checks,
    maxAgeSeconds: config.SWB_MAX_TTL_MIN * 60,
    health: () => ({ sessions: sessions.count, warmClusters: pool.readyCount, ipvs: facts.ipvs, security: facts.security }),
    log,
    resetRefusal: (session) => workshops.service.resetRefusal(session),
  });
  // Workshop routes first: they live under /sandbox too, and the sandbox answers 404 for what it does not know.
  const http: SandboxHttp = {
    handleRequest: (req, res) => workshops.http.handleRequest(req, res) || sandboxHttp.handleRequest(req, res),
    handleUpgrade: (req, socket, head) => workshops.http.handleUpgrade(req, socket, head) || sandboxHttp.handleUpgrade(req, socket, head),
    close: () => sandboxHttp.close(),
  };

  return {
    http,
    facts,
    sessions,
    pool,
    checks,
    workshops,
    async close() {
      workshops.close();
      http.close();
      checks.close();
      await sessions.close();
      await pool.drain();
      progress.close();
      store.close();
    },
  };
}
