/**
 * Learner sessions: an unguessable token (cookie) maps to one session, which
 * owns at most one cluster. A session is cheap and made on a page view; its
 * cluster is claimed only when the learner acts (claimCluster), within the
 * admission rules (see admission.ts). Clusters come from the warm pool, or are
 * started cold with progress when the pool is empty. Idle and absolute time
 * limits reap sessions and their clusters (not while a workshop pins them).
 */
import crypto from 'node:crypto';
import type { ClusterInfo } from '@contract/protocol.ts';
import type { LiveCluster } from '../clusters/live.ts';
import type { ClusterPool } from '../clusters/pool.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { admissionRefusal, ClaimRefused, type AdmissionRules } from './admission.ts';
import type { SessionRow, SessionStore } from './store.ts';

/** What an unclaimed session's page shows until the learner acts. */
export const UNCLAIMED = 'Your sandbox starts when you click in the terminal, type, or press Run or Start.';

/** ensureCluster() on a session whose learner never acted: nothing is claimed for them. */
export class NotClaimed extends Error {
  constructor() {
    super('your sandbox is not started yet: click in the terminal or press Start');
  }
}

export class LearnerSession {
  cluster: LiveCluster | undefined;
  info: ClusterInfo;
  connections = 0;
  private readonly listeners = new Set<(info: ClusterInfo) => void>();
  /** The cluster being claimed or provisioned, shared by concurrent callers. */
  pending: Promise<LiveCluster> | undefined;
  /** The learner acted (or joined a workshop): a cluster may be (re)claimed for this session. */
  claimed = false;
  /** The network that claimed (per-address limits), when known. */
  address: string | undefined;
  /** What its row on disk says (see SessionManager.persist); undefined: it has none. */
  saved: string | undefined;

  constructor(
    readonly id: string,
    readonly createdAt: number,
    public lastSeen: number,
    hostLimits: string[],
  ) {
    this.info = { status: 'unclaimed', progress: UNCLAIMED, nodes: [], hostLimits };
  }

  onChange(listener: (info: ClusterInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  update(patch: Partial<ClusterInfo>): void {
    this.info = { ...this.info, ...patch };
    for (const l of this.listeners) l(this.info);
  }
}

export interface SessionManagerDeps {
  store: SessionStore;
  pool: ClusterPool;
  provision: (onProgress: (step: string, fraction: number) => void) => Promise<LiveCluster>;
  destroy: (cluster: LiveCluster) => Promise<void>;
  idleTtlMs: number;
  maxTtlMs: number;
  hostLimits: string[];
  log: Logger;
  /**
   * Until when a session is kept whatever its idle and absolute limits (a
   * workshop learner keeps their cluster until the workshop ends), or undefined.
   */
  pinnedUntil?: (sessionId: string) => number | undefined;
  /** Whether the host may start one more cluster (SWB_MAX_CLUSTERS); a warm one can always be handed out. */
  hasRoom?: () => boolean;
  /** Who may claim (SWB_PUBLIC, SWB_ANON_PER_ADDRESS, SWB_ANON_SHARE); absent: anyone. */
  admission?: AdmissionRules;
}

/** What a learner is told when the host runs as many clusters as it may. */
const SERVER_FULL = 'this server is running as many clusters as it may (SWB_MAX_CLUSTERS); one frees up when a learner leaves';

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export class SessionManager {
  private readonly sessions = new Map<string, LearnerSession>();
  private reaper: NodeJS.Timeout | undefined;
  /** Cold starts in flight for sessions (they count against the host's limit before they have a cluster). */
  private provisioning = 0;

  constructor(private readonly deps: SessionManagerDeps) {}

  /** A new session and the token to put in its cookie (the token itself is never stored). */
  create(): { token: string; session: LearnerSession } {
    const token = crypto.randomBytes(32).toString('base64url');
    const now = Date.now();
    const session = new LearnerSession(hashToken(token), now, now, this.deps.hostLimits);
    this.sessions.set(session.id, session);
    return { token, session }; // no row yet: see persist()
  }

  /** The live session for a cookie token, or undefined (unknown or expired). */
  resolve(token: string | undefined): LearnerSession | undefined {
    if (!token || token.length > 200) return undefined;
    const session = this.sessions.get(hashToken(token));
    if (session) session.lastSeen = Date.now();
    return session;
  }

  /** Re-create a session found on disk with the cluster adopted from the engine. */
  restore(row: SessionRow, cluster: LiveCluster | undefined): void {
    const session = new LearnerSession(row.id, row.createdAt, row.lastSeen, this.deps.hostLimits);
    session.address = row.address ?? undefined;
    session.saved = rowKey(row);
    if (cluster) {
      session.claimed = true;
      this.assign(session, cluster);
    }
    this.sessions.set(session.id, session);
  }

  /** The live session with this id (workshops link learners to sessions by id). */
  get(id: string): LearnerSession | undefined {
    return this.sessions.get(id);
  }

  get count(): number {
    return this.sessions.size;
  }

  /** Clusters learners hold or are getting (the warm pool counts its own). */
  get clustersInUse(): number {
    let n = this.provisioning;
    for (const s of this.sessions.values()) if (s.cluster) n++;
    return n;
  }

  /** The session that owns a running cluster (for access checks on per-cluster URLs). */
  ownerOfCluster(clusterId: string): LearnerSession | undefined {
    for (const s of this.sessions.values()) if (s.cluster?.id === clusterId) return s;
    return undefined;
  }

  /**
   * The session's cluster: already there, being claimed, or (for a session whose learner acted
   * before, e.g. after a reset or a failed start) claimed again now. Never claims for a session
   * nobody acted in: that rejects with NotClaimed.
   */
  ensureCluster(session: LearnerSession): Promise<LiveCluster> {
    if (session.cluster) return Promise.resolve(session.cluster);
    if (!session.pending && !session.claimed) return Promise.reject(new NotClaimed());
    session.pending ??= this.claim(session).finally(() => (session.pending = undefined));
    return session.pending;
  }

  /**
   * The learner acted: claim their cluster if the admission rules let this session have one.
   * Throws ClaimRefused (429/403 with words) otherwise, and shows the words on the learner's page.
   * Workshop learners (pinned sessions) are limited by their workshop's capacity, not by address.
   */
  claimCluster(session: LearnerSession, address: string | undefined): Promise<LiveCluster> {
    if (session.cluster || session.pending) return this.ensureCluster(session);
    const refusal = this.refusal(session, address);
    if (refusal) {
      session.update({ status: 'unclaimed', progress: refusal.message, nodes: [] });
      throw refusal;
    }
    session.claimed = true;
    session.address = address;
    this.persist(session); // from now on it matters: a restart must find it (a workshop learner's cookie)
    return this.ensureCluster(session);
  }

  /** Whether this session belongs to an open workshop (then address limits do not apply). */
  inWorkshop(session: LearnerSession, now = Date.now()): boolean {
    return (this.deps.pinnedUntil?.(session.id) ?? 0) > now;
  }

  private refusal(session: LearnerSession, address: string | undefined): ClaimRefused | null {
    const rules = this.deps.admission;
    if (!rules || this.inWorkshop(session)) return null;
    const holders = [...this.sessions.values()].filter((s) => s !== session && (s.cluster || s.pending) && !this.inWorkshop(s));
    return admissionRefusal(rules, { address, holders: holders.map((s) => s.address), idleMinutes: Math.round(this.deps.idleTtlMs / 60_000) });
  }

  /** Clusters held (or being claimed) by visitors without a workshop, and by workshop learners. */
  claimCounts(): { anonymous: number; workshop: number } {
    let anonymous = 0;
    let workshop = 0;
    for (const s of this.sessions.values()) {
      if (!s.cluster && !s.pending) continue;
      if (this.inWorkshop(s)) workshop++;
      else anonymous++;
    }
    return { anonymous, workshop };
  }

  /** A new cluster for the session; `why` tells the learner when it was not their own choice. */
  async reset(session: LearnerSession, why?: string): Promise<LiveCluster> {
    if (!session.claimed && !session.cluster) throw new NotClaimed();
    const old = session.cluster;
    session.cluster = undefined;
    session.update({ status: 'resetting', progress: why ?? 'removing the old cluster', fraction: 0, nodes: [] });
    if (old) await this.deps.destroy(old).catch((err) => this.deps.log.error('reset: teardown failed', { error: errorMessage(err) }));
    return this.ensureCluster(session);
  }

  /** End a session now: its cluster is torn down and its browser told. */
  async expire(session: LearnerSession, why: string): Promise<void> {
    this.sessions.delete(session.id);
    session.update({ status: 'expired', progress: why, nodes: [] });
    const cluster = session.cluster ?? (await session.pending?.catch(() => undefined));
    session.cluster = undefined;
    this.deps.log.info('session ended', { session: session.id.slice(0, 8), why });
    if (cluster) return this.teardown(session.id, cluster);
    if (session.saved !== undefined) this.deps.store.delete(session.id);
    this.deps.pool.refill();
  }

  /**
   * The session's row goes only once its cluster is gone: until then it says whose the cluster is,
   * so a restart never mistakes it for a free one. A failed teardown is retried by the reaper.
   */
  private async teardown(sessionId: string, cluster: LiveCluster): Promise<void> {
    try {
      await this.deps.destroy(cluster);
    } catch (err) {
      this.failedTeardowns.set(sessionId, cluster);
      throw err;
    }
    this.failedTeardowns.delete(sessionId);
    this.deps.store.delete(sessionId);
    this.deps.pool.refill(); // the place it held may be the one the pool was waiting for
  }

  /** Ended sessions whose cluster teardown failed: retried on every reaper round. */
  private readonly failedTeardowns = new Map<string, LiveCluster>();

  startReaper(intervalMs = 15_000): void {
    this.reaper = setInterval(() => void this.reap(), intervalMs);
    this.reaper.unref();
  }

  async reap(now = Date.now()): Promise<void> {
    for (const [id, cluster] of [...this.failedTeardowns]) {
      await this.teardown(id, cluster).catch((err) => this.deps.log.error('cluster teardown failed again; retrying later', { error: errorMessage(err) }));
    }
    for (const session of [...this.sessions.values()]) {
      if ((this.deps.pinnedUntil?.(session.id) ?? 0) > now) {
        this.persist(session);
        continue;
      }
      const idle = session.connections === 0 && now - session.lastSeen > this.deps.idleTtlMs;
      const tooOld = now - session.createdAt > this.deps.maxTtlMs;
      if (idle || tooOld) {
        await this.expire(session, tooOld ? 'the session reached its time limit' : 'the session was idle too long').catch((err) =>
          this.deps.log.error('reaping failed', { error: errorMessage(err) }),
        );
      } else {
        this.persist(session);
      }
    }
  }

  /**
   * Stop timers; clusters stay up so the next start adopts them. A cold start
   * still running is waited for: claim() removes what it made, since nobody
   * would get it now (and its shells would keep this process alive).
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    for (const s of this.sessions.values()) this.persist(s);
    await Promise.allSettled([...this.sessions.values()].map((s) => s.pending));
    // The clusters outlive this process (a restart adopts them), but its connections to them must go:
    // a paused shell's socket never sees its end, and would keep the process alive.
    for (const s of this.sessions.values()) {
      s.cluster?.closeTerminals();
      s.cluster?.stopWatching();
    }
  }
  private closed = false;

  private async claim(session: LearnerSession): Promise<LiveCluster> {
    const warm = this.deps.pool.take();
    if (warm) {
      this.assign(session, warm);
      return warm;
    }
    session.update({ status: 'provisioning', progress: 'starting your cluster', fraction: 0, nodes: [] });
    try {
      if (this.deps.hasRoom && !this.deps.hasRoom()) throw new Error(SERVER_FULL);
      this.provisioning++;
      const cluster = await this.deps
        .provision((step, fraction) => session.update({ status: 'provisioning', progress: step, fraction }))
        .finally(() => this.provisioning--);
      if (this.closed || !this.sessions.has(session.id)) {
        await this.deps.destroy(cluster); // expired (or the server stopped) while it was starting
        throw new Error(this.closed ? 'the server stopped while your cluster was starting' : 'session ended while its cluster was starting');
      }
      void cluster.prewarmShells();
      this.assign(session, cluster);
      return cluster;
    } catch (err) {
      session.update({ status: 'failed', progress: `could not start your cluster: ${errorMessage(err)}. Press Reset cluster to try again.` });
      throw err;
    }
  }

  private assign(session: LearnerSession, cluster: LiveCluster): void {
    session.cluster = cluster;
    session.update({
      status: 'ready',
      progress: undefined,
      fraction: 1,
      nodes: cluster.cluster.nodes.map(({ name, role, ip }) => ({ name, role, ip })),
      expiresAt: Math.max(session.createdAt + this.deps.maxTtlMs, this.deps.pinnedUntil?.(session.id) ?? 0),
    });
    this.persist(session);
  }

  /**
   * Writes the session's row when it matters and changed. A session nobody acted in (a page view)
   * has no row: the 15 s reaper round rewrote every session before, so a flood of page views cost
   * every learner event-loop time; such a session lives in memory only, holds nothing a restart
   * must adopt, and after a restart its browser simply gets a new one.
   */
  private persist(session: LearnerSession): void {
    if (!session.claimed && !session.cluster && session.saved === undefined) return;
    const row = {
      id: session.id,
      clusterId: session.cluster?.id ?? null,
      createdAt: session.createdAt,
      lastSeen: session.lastSeen,
      address: session.address ?? null,
    };
    const key = rowKey(row);
    if (key === session.saved) return;
    this.deps.store.upsert(row);
    session.saved = key;
  }
}

/** The fields of a row that change over a session's life. */
const rowKey = (row: { clusterId: string | null; lastSeen: number; address?: string | null }) => `${row.clusterId}|${row.lastSeen}|${row.address ?? ''}`;
