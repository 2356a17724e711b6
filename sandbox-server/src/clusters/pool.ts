/**
 * A warm pool of ready clusters, refilled in the background one at a time
 * (two cores: parallel cold starts only slow each other and the learners).
 */
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { LiveCluster } from './live.ts';

export class ClusterPool {
  private readonly ready: LiveCluster[] = [];
  /** The refill loop while it runs (drain waits for it: a cold start in flight must not outlive the pool). */
  private filling: Promise<void> | null = null;
  private closed = false;
  /** Aborted by drain: a start in flight stops its optional work (the image preload) instead of finishing it. */
  private readonly closing = new AbortController();

  constructor(
    private size: number,
    /** A cold start for the pool (with whatever makes a cluster warm, e.g. the image preload); `signal` aborts when the pool drains. */
    private readonly provision: (signal: AbortSignal) => Promise<LiveCluster>,
    private readonly destroy: (c: LiveCluster) => Promise<void>,
    private readonly log: Logger,
    /** Whether the host may run one more cluster (SWB_MAX_CLUSTERS): warm ones count like learners'. */
    private readonly hasRoom: () => boolean = () => true,
    /** Told synchronously, before the taker gets it, that a cluster leaves the pool (the durable hand-out record). */
    private readonly onTake: (c: LiveCluster) => void = () => undefined,
  ) {}

  get readyCount(): number {
    return this.ready.length;
  }

  /** Clusters this pool runs: ready ones and the one being started. */
  get running(): number {
    return this.ready.length + (this.starting ? 1 : 0);
  }
  private starting = false;

  /** How many ready clusters the pool is filling up to. */
  get targetSize(): number {
    return this.size;
  }

  /** Keep more (or fewer) clusters warm, e.g. grown before a workshop and shrunk after it. */
  async setSize(size: number): Promise<void> {
    this.size = Math.max(0, size);
    this.refill();
    // Shrinking: surplus warm clusters go now, so nothing stays running that nobody asked for.
    const surplus = this.ready.splice(this.size);
    await Promise.all(surplus.map((c) => this.destroy(c)));
  }

  /** Put an already-running cluster (found at start-up) into the pool. */
  adopt(cluster: LiveCluster): void {
    this.ready.push(cluster);
  }

  /** A ready cluster, or undefined when the pool is empty; starts a refill either way. */
  take(): LiveCluster | undefined {
    const cluster = this.ready.shift();
    if (cluster) {
      try {
        this.onTake(cluster);
      } catch (err) {
        // No durable record, no hand-out: a restart could pool a used cluster. Tear it down instead.
        this.log.error('could not record a hand-out; the cluster is removed', { cluster: cluster.id, error: errorMessage(err) });
        void this.destroy(cluster).catch(() => undefined);
        queueMicrotask(() => this.refill());
        return undefined;
      }
    }
    // After the taker has assigned it (synchronously), so the host limit counts it once, not zero times.
    queueMicrotask(() => this.refill());
    return cluster;
  }

  refill(): void {
    if (this.filling || this.closed || this.ready.length >= this.size) return;
    // `.finally` runs after this assignment even when fill() has nothing to do.
    this.filling = this.fill().finally(() => (this.filling = null));
  }

  private async fill(): Promise<void> {
    try {
      while (!this.closed && this.ready.length < this.size && this.hasRoom()) {
        const started = Date.now();
        this.starting = true;
        const cluster = await this.provision(this.closing.signal).finally(() => (this.starting = false));
        await cluster.prewarmShells(); // warm means the prompt is there
        if (this.closed || this.ready.length >= this.size) {
          await this.destroy(cluster);
          return;
        }
        this.ready.push(cluster);
        this.log.info('warm cluster ready', { cluster: cluster.id, ms: Date.now() - started, pool: this.ready.length });
      }
    } catch (err) {
      this.log.error('warm pool refill failed; retrying in 15 s', { error: errorMessage(err) });
      setTimeout(() => this.refill(), 15_000).unref();
    }
  }

  /** Stop refilling and tear down every ready cluster. */
  async drain(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.filling;
    const all = this.ready.splice(0);
    await Promise.all(all.map((c) => this.destroy(c)));
  }
}
