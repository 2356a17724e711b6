/**
 * The sandbox engine, wired: host facts -> firewall watch -> reconcile leftovers ->
 * warm pool -> sessions -> HTTP/WebSocket handlers. Images and the mirror are
 * prepared by the caller and passed in, and so is the firewall (installed before the node engine
 * started: see setupNodeEngine).
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { SANDBOX_PREFIX } from '@contract/protocol.ts';
import type { Config } from './config.ts';
import { LABEL } from './engine/labels.ts';
import { watchNodeStarts } from './engine/cgroups.ts';
import { confineStartedNode } from './isolation/kernel-quotas.ts';
import { detectHostFacts, type HostFacts } from './engine/host.ts';
import type { NodeEngine } from './isolation/learner-nodes.ts';
import { labArchive, readLabFiles } from './files/labfiles.ts';
import { LiveCluster } from './clusters/live.ts';
import { ClusterPool } from './clusters/pool.ts';
import { destroyCluster, provisionCluster, type Cluster } from './clusters/provision.ts';
import { HandoutStore } from './clusters/handouts.ts';
import { preloadImages } from './clusters/preload.ts';
import { planLeftovers, reconcileClusters } from './clusters/reconcile.ts';
import { LessonCatalog } from './checks/catalog.ts';
import { CheckService } from './checks/checker.ts';
import { ProgressStore } from './checks/progress.ts';
import { DEFAULT_CONNECTION_OPTIONS } from './browser/connection.ts';
import { sandboxRoutes } from './browser/routes.ts';
import { createRouter, type HttpRoutes } from './http/router.ts';
import { startDiskGuard } from './isolation/disk-guard.ts';
import { watchFirewall } from './isolation/firewall.ts';
import type { Logger } from './log.ts';
import { errorMessage } from './log.ts';
import { SessionManager } from './sessions/manager.ts';
import { SessionStore } from './sessions/store.ts';
import { openWorkshopStore, startWorkshops, workshopStatus, type Workshops } from './workshops/index.ts';
import { adminToken } from './workshops/admin-token.ts';
import { httpPolicy, networkOf } from './http/request.ts';
import type { MirrorEndpoint } from './isolation/mirror-address.ts';

export interface SandboxDeps {
  config: Config;
  /** The engine that runs learner nodes (the learner engine, or the host engine in hardened mode). */
  docker: Docker;
  /** How nodes are isolated on that engine (default: hardened, no per-node disks). */
  nodeEngine?: Omit<NodeEngine, 'docker'>;
  nodeImage: string;
  /** The running registry mirror, or null to let nodes pull from Docker Hub. */
  mirror: MirrorEndpoint | null;
  labFilesDir: string;
  /** Lessons whose exercises are checked. */
  lessonsDir: string;
  log: Logger;
}

export interface Sandbox {
  http: HttpRoutes;
  facts: HostFacts;
  /** The engine that runs learner nodes, the image they are made from and how they are isolated. */
  nodes: { docker: Docker; image: string; engine: Omit<NodeEngine, 'docker'> };
  sessions: SessionManager;
  pool: ClusterPool;
  checks: CheckService;
  workshops: Workshops;
  /** The instructor key that creates workshops (SWB_ADMIN_TOKEN or generated into the data dir). */
  adminToken: string;
  /** Stop serving; learners' clusters stay up for the next start to adopt, warm ones are removed. */
  close(): Promise<void>;
}

export async function startSandbox(deps: SandboxDeps): Promise<Sandbox> {
  const { config, docker, log } = deps;
  const nodeEngine = deps.nodeEngine ?? { isolation: 'hardened' as const, note: 'no learner engine given', cgroupOwner: null, disks: null, nodeUlimits: [] };
  const facts = detectHostFacts(nodeEngine.isolation, nodeEngine.note);
  log.info('host facts', { isolation: facts.isolation, ipvs: facts.ipvs, cgroup: facts.cgroup, nodeDiskMb: nodeEngine.disks?.sizeMb ?? null });
  if (facts.isolationNote) log.warn(`isolation: hardened capabilities only (${facts.isolationNote})`);
  if (!facts.ipvs) log.warn('no IPVS on this host: swarm VIPs and the ingress routing mesh will not work; use dnsrr and host-mode publishing');

  // The rules went in before the node engine started (setupNodeEngine's fence); from here on they are kept in place.
  const stopFirewallWatch = config.SWB_FIREWALL ? watchFirewall(deps.mirror, 15_000, log.child({ part: 'firewall' })) : () => {};
  const owner = nodeEngine.cgroupOwner;
  const stopCgroupWatch = owner
    ? watchNodeStarts(docker, `${LABEL.instance}=${config.SWB_INSTANCE}`, (id) => confineStartedNode(docker, id, owner), (err) =>
        log.warn('could not confine a restarted node (cgroups, user-namespace caps)', { error: errorMessage(err) }),
      )
    : () => {};

  const archive = await labArchive(readLabFiles(deps.labFilesDir));
  const scrollbackBytes = config.SWB_SCROLLBACK_KB * 1024;
  const watch = {
    ipvs: facts.ipvs,
    log: log.child({ part: 'cluster-state' }),
    terminals: { max: config.SWB_MAX_TERMINALS, idleMs: config.SWB_TERMINAL_IDLE_MIN * 60_000 },
  };
  const live = (c: Cluster) => new LiveCluster(c, docker, scrollbackBytes, watch);
  const provision = async (onProgress?: (step: string, fraction: number) => void) =>
    live(
      await provisionCluster({
        docker,
        instance: config.SWB_INSTANCE,
        nodeImage: deps.nodeImage,
        workers: config.SWB_WORKERS,
        isolation: facts.isolation,
        cgroupOwner: nodeEngine.cgroupOwner,
        ulimits: nodeEngine.nodeUlimits,
        disks: nodeEngine.disks,
        limits: { memoryMb: config.SWB_NODE_MEMORY_MB, cpus: config.SWB_NODE_CPUS, pids: config.SWB_NODE_PIDS },
        subnetRange: config.SWB_SUBNET_POOL,
        mirror: deps.mirror,
        labArchive: archive,
        onProgress,
      }),
    );
  // Sessions, handouts and exercise progress share one database file per instance.
  const dbFile = path.join(config.dataDir, `sessions-${config.SWB_INSTANCE}.db`);
  // Which clusters ever reached a learner (written before they do): only the others may be pooled after a restart.
  const handouts = new HandoutStore(dbFile);
  const destroy = async (c: LiveCluster) => {
    c.closeTerminals();
    c.stopWatching();
    await destroyCluster(docker, config.SWB_INSTANCE, c.id);
    handouts.clear(c.id);
  };

  // Learners' clusters, warm ones and cold starts all count against the host's limit.
  const hasRoom = (): boolean => sessions.clustersInUse + pool.running < config.SWB_MAX_CLUSTERS;
  // A warm cluster's nodes pull the lab images a learner will scale out (SWB_PRELOAD_IMAGES) before it
  // is ready; a cold start never waits for that. Nodes pull them through the mirror only.
  const preload = deps.mirror ? config.SWB_PRELOAD_IMAGES : [];
  if (config.SWB_PRELOAD_IMAGES.length > 0 && !deps.mirror) log.info('SWB_PRELOAD_IMAGES is ignored: no registry mirror (SWB_MIRROR=off)');
  const poolLog = log.child({ part: 'pool' });
  const provisionWarm = async (signal: AbortSignal) => {
    const cluster = await provision();
    if (preload.length) cluster.preloaded = await preloadImages(cluster.cluster, { images: preload, log: poolLog, signal });
    return cluster;
  };
  const pool = new ClusterPool(config.SWB_POOL_SIZE, provisionWarm, destroy, poolLog, hasRoom, (c) => handouts.mark(c.id));
  const store = new SessionStore(dbFile);
  const workshopStore = openWorkshopStore(config.dataDir, config.SWB_INSTANCE);
  const sessions = new SessionManager({
    store,
    pool,
    // A cluster started for a learner is theirs from its birth.
    provision: async (onProgress) => {
      const c = await provision(onProgress);
      handouts.mark(c.id);
      return c;
    },
    destroy,
    idleTtlMs: config.SWB_IDLE_TTL_MIN * 60_000,
    maxTtlMs: config.SWB_MAX_TTL_MIN * 60_000,
    hostLimits: facts.limits,
    log: log.child({ part: 'sessions' }),
    pinnedUntil: (id) => workshopStore.openUntil(id),
    hasRoom,
    admission: {
      public: config.SWB_PUBLIC,
      perAddress: config.SWB_ANON_PER_ADDRESS,
      anonymousMax: Math.floor((config.SWB_MAX_CLUSTERS * config.SWB_ANON_SHARE) / 100),
      networkOf,
    },
  });
  const policy = httpPolicy(config);
  const admin = adminToken(config);

  // Adopt what an earlier run left: owned clusters go back to their learners; clusters never handed
  // to anyone may be warm ones again; any other (handed out, now nobody's) is destroyed.
  const rows = store.all();
  const plan = planLeftovers(
    await reconcileClusters(docker, config.SWB_INSTANCE, log),
    new Set(rows.map((r) => r.clusterId).filter((id): id is string => !!id)),
    handouts.all(),
    config.SWB_POOL_SIZE,
  );
  for (const row of rows) {
    const cluster = row.clusterId ? plan.owned.get(row.clusterId) : undefined;
    sessions.restore(row, cluster && live(cluster));
  }
  for (const cluster of plan.destroy) {
    log.info('removing a leftover cluster that is nobody\'s now', { cluster: cluster.id });
    await destroy(live(cluster)).catch((err) => log.error('could not remove a leftover cluster', { cluster: cluster.id, error: errorMessage(err) }));
  }
  for (const cluster of plan.warm) {
    const adopted = live(cluster);
    void adopted.prewarmShells();
    pool.adopt(adopted);
  }
  // Records of clusters that no longer exist (torn down while the server was down).
  const running = new Set([...plan.owned.keys(), ...plan.warm.map((c) => c.id)]);
  for (const id of handouts.all()) if (!running.has(id)) handouts.clear(id);
  if (sessions.count || pool.readyCount) log.info('adopted clusters from an earlier run', { sessions: sessions.count, pool: pool.readyCount });
  await sessions.reap();
  pool.refill();
  sessions.startReaper();
  const guardLog = log.child({ part: 'disk-guard' });
  const stopDiskGuard = startDiskGuard({
    docker,
    instance: config.SWB_INSTANCE,
    clusterLimitBytes: config.SWB_CLUSTER_DISK_MB * 2 ** 20,
    sharedDisk: nodeEngine.disks?.dir ?? null,
    intervalMs: config.SWB_DISK_GUARD_S * 1000,
    log: guardLog,
    reset: async (clusterId, why) => {
      const owner = sessions.ownerOfCluster(clusterId);
      if (owner) await sessions.reset(owner, `${why}, so your cluster was reset`);
      else guardLog.warn('the cluster over its disk limit is no learner\'s: left as it is', { cluster: clusterId });
    },
  });

  const progress = new ProgressStore(dbFile);
  progress.pruneEndedSessions();
  const checks = new CheckService({
    catalog: new LessonCatalog(deps.lessonsDir, log.child({ part: 'lessons' }), { ipvs: facts.ipvs }),
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
    hostLimitWhy: config.sizing.explicit ? `SWB_MAX_CLUSTERS=${config.SWB_MAX_CLUSTERS}, set by the server's operator` : config.sizing.why,
    sessionMaxAgeSeconds: config.SWB_MAX_TTL_MIN * 60,
    policy,
    adminToken: admin.token,
    log,
  });
  const sandbox = sandboxRoutes({
    sessions,
    checks,
    maxAgeSeconds: config.SWB_MAX_TTL_MIN * 60,
    health: () => ({ sessions: sessions.count, claimed: sessions.claimCounts(), warmClusters: pool.readyCount, ipvs: facts.ipvs, isolation: facts.isolation }),
    log,
    policy,
    newSessionsPerNetwork: config.SWB_NEW_SESSIONS_PER_NETWORK,
    resetRefusal: (session) => workshops.service.resetRefusal(session),
    connection: { ...DEFAULT_CONNECTION_OPTIONS, pingIntervalMs: config.SWB_WS_PING_S * 1000 },
  });
  // One door for every route and socket: the same guards, error envelope and close codes for all.
  const http = createRouter({
    prefix: SANDBOX_PREFIX,
    policy,
    log,
    routes: [...workshops.routes, ...sandbox.routes],
    upgrades: [...workshops.upgrades, ...sandbox.upgrades],
    statusOf: [workshopStatus],
  });

  return {
    http,
    facts,
    nodes: { docker, image: deps.nodeImage, engine: nodeEngine },
    sessions,
    pool,
    checks,
    workshops,
    adminToken: admin.token,
    async close() {
      stopFirewallWatch();
      stopCgroupWatch();
      stopDiskGuard();
      http.close(); // sockets are told first (serverRestart), then the workshops' store closes
      workshops.close();
      checks.close();
      await sessions.close();
      await pool.drain();
      progress.close();
      store.close();
      handouts.close();
    },
  };
}
