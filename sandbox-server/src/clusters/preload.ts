/**
 * Lab images pulled into a warm cluster's nodes before a learner has it (SWB_PRELOAD_IMAGES), so the
 * seed path's first scale-out (`docker service scale <app>=3` once the workers joined) starts its
 * tasks from images the workers already hold instead of pulling them then (12-26 s measured).
 *
 * Each node pulls through its own engine and registry settings (the mirror), by the exact reference
 * the lessons type: the image then carries the mirror's repo digest, which is what swarm pins a
 * service's tasks to, so a worker finds the task's image locally and pulls nothing. Nodes pull side by
 * side, each its images one after another. It is an optimisation only: a failed, slow or cancelled
 * preload is logged and the cluster is handed out as it is (the learner's pull then happens as before).
 */
import { pullImage, type PulledImage } from '../engine/inner-api.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';

/** For every pull of a cluster together: the mirror is on this host, a 140 MB image took 12-26 s on a busy one. */
export const PRELOAD_TIMEOUT_MS = 180_000;

export interface PreloadResult {
  node: string;
  image: string;
  ok: boolean;
  ms: number;
  sizeBytes?: number;
  error?: string;
}

export interface PreloadOptions {
  images: readonly string[];
  log: Logger;
  /** The whole preload's bound; what is still pulling then is cancelled. */
  timeoutMs?: number;
  /** Stops the preload at once (the pool is closing). */
  signal?: AbortSignal;
  /** The pull itself (tests give their own). */
  pull?: (ip: string, ref: string, opts: { timeoutMs: number; signal: AbortSignal }) => Promise<PulledImage>;
}

/** Pull `images` into every node; never throws. Resolves with one result per node and image. */
export async function preloadImages(cluster: { id: string; nodes: readonly { name: string; ip: string }[] }, opts: PreloadOptions): Promise<PreloadResult[]> {
  if (opts.images.length === 0) return [];
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? PRELOAD_TIMEOUT_MS);
  const pull = opts.pull ?? ((ip, ref, o) => pullImage(ip, ref, o));
  // One signal for every pull: the deadline or the caller's stop, whichever comes first.
  const stop = new AbortController();
  // Not unref'd: cleared in `finally` whenever the preload ends, which it does by this time at the latest.
  const timer = setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
  const onStop = () => stop.abort();
  opts.signal?.addEventListener('abort', onStop, { once: true });
  if (opts.signal?.aborted) stop.abort();
  try {
    const perNode = await Promise.all(
      cluster.nodes.map(async (node) => {
        const results: PreloadResult[] = [];
        for (const image of opts.images) {
          const t0 = Date.now();
          if (stop.signal.aborted) {
            results.push({ node: node.name, image, ok: false, ms: 0, error: stoppedWhy(opts.signal) });
            continue;
          }
          try {
            const pulled = await pull(node.ip, image, { timeoutMs: Math.max(1, deadline - t0), signal: stop.signal });
            results.push({ node: node.name, image, ok: true, ms: Date.now() - t0, sizeBytes: pulled.sizeBytes });
          } catch (err) {
            const error = stop.signal.aborted ? stoppedWhy(opts.signal) : errorMessage(err);
            results.push({ node: node.name, image, ok: false, ms: Date.now() - t0, error });
          }
        }
        return results;
      }),
    );
    const results = perNode.flat();
    const failed = results.filter((r) => !r.ok);
    const ms = Date.now() - started;
    if (failed.length === 0) {
      opts.log.info('lab images preloaded', { cluster: cluster.id, ms, images: opts.images.join(','), nodes: cluster.nodes.length });
    } else {
      opts.log.warn('lab image preload incomplete: the cluster is handed out without those images (its nodes pull them when used)', {
        cluster: cluster.id,
        ms,
        failed: failed.map((f) => `${f.node} ${f.image}: ${f.error}`).slice(0, 6),
      });
    }
    return results;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onStop);
  }
}

function stoppedWhy(signal: AbortSignal | undefined): string {
  return signal?.aborted ? 'stopped (the pool is closing)' : 'not done within the preload\'s time';
}

