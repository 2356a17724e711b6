/**
 * The read-only questions the server asks a learner node's Docker API (<node ip>:2375), each one a
 * bounded GET: the learner is root in the node and may replace what answers there, so every answer
 * is limited in size and time (engine/bounded.ts). The visualizer feed, the live exercise checks and
 * the event streams all read nodes through this, never through an unbounded client. The one thing
 * the server asks a node to do, `pullImage` (the warm pool's preload, before any learner has the
 * node), is bounded the same way.
 */
import type { IncomingMessage } from 'node:http';
import { boundedGet, boundedRequest, openStream, type ReadLimits } from './bounded.ts';

/** Docker's plain-HTTP API port. Each node's inner dockerd listens on it, and the server reads cluster state from it (never from scripts on the node); a tcp:// DOCKER_HOST without a port means it too. */
export const INNER_DOCKER_PORT = 2375;

/** What the server reads from a node's engine (the subset of dockerode's API it uses). */
export interface InnerApi {
  info(): Promise<unknown>;
  listContainers(): Promise<unknown[]>;
  listNetworks(): Promise<unknown[]>;
  listNodes(): Promise<unknown[]>;
  listServices(): Promise<unknown[]>;
  listTasks(): Promise<unknown[]>;
  /** Images in the node's engine (`docker image ls`). */
  listImages(): Promise<unknown[]>;
  /** The event stream (held open; read it with followLines). */
  events(filters: Record<string, string[]>): Promise<IncomingMessage>;
}

/** An answer bigger than this is not a cluster of a learner's (100 tasks with full specs are ~0.5 MiB). */
export const INNER_API_MAX_BYTES = 8 * 1024 * 1024;
/** For the whole answer (not idle time): generous, a busy host's nodes can be slow, a trickle still ends. */
export const INNER_API_TIMEOUT_MS = 15_000;

export function innerApi(ip: string, opts: { port?: number; limits?: Partial<ReadLimits> } = {}): InnerApi {
  const port = opts.port ?? INNER_DOCKER_PORT;
  const limits: ReadLimits = { maxBytes: opts.limits?.maxBytes ?? INNER_API_MAX_BYTES, timeoutMs: opts.limits?.timeoutMs ?? INNER_API_TIMEOUT_MS };
  const getJson = async (path: string): Promise<unknown> => {
    const answer = await boundedGet({ host: ip, port, path, limits, what: `the Docker API of ${ip} (${path})` });
    const text = answer.body.toString('utf8');
    if (answer.status >= 400) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the raw start
      }
      throw Object.assign(new Error(`${path}: HTTP ${answer.status}: ${message}`), { statusCode: answer.status });
    }
    return JSON.parse(text) as unknown;
  };
  const getList = async (path: string): Promise<unknown[]> => {
    const value = await getJson(path);
    if (!Array.isArray(value)) throw new Error(`${path}: the engine answered something that is not a list`);
    return value;
  };
  return {
    info: () => getJson('/info'),
    listContainers: () => getList('/containers/json'),
    listNetworks: () => getList('/networks'),
    listNodes: () => getList('/nodes'),
    listServices: () => getList('/services'),
    listTasks: () => getList('/tasks'),
    listImages: () => getList('/images/json'),
    events: (filters) => openStream({ host: ip, port, path: `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`, headerTimeoutMs: limits.timeoutMs }),
  };
}

/** An image reference as the lessons type it: `name[:tag]`, `org/name:tag`, `host:port/name:tag`, or with `@sha256:...`. */
export const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** The progress stream of a pull: one JSON object a line, each layer's steps; far below this even for big images. */
export const PULL_ANSWER_MAX_BYTES = 8 * 1024 * 1024;

export interface PulledImage {
  /** The image id (config digest) the node now has under the reference. */
  id: string;
  /** Its size unpacked, as `docker image ls` shows it. */
  sizeBytes: number;
  /** `name@sha256:...` of the manifest it came from: what swarm pins a service's tasks to. */
  repoDigests: string[];
}

/**
 * `docker pull <ref>` in a node (POST /images/create), through the node's own registry settings (the
 * mirror), so the image carries the same repo digest a service's digest-pinned task asks for. The
 * progress answer is bounded in size and the whole pull in time (a pull cut off is cancelled by the
 * node's engine when the connection closes); an error line in the stream, as the engine reports a
 * failed pull after its 200, rejects. Resolves with what the node then holds under the reference.
 */
export async function pullImage(ip: string, ref: string, opts: { port?: number; timeoutMs: number; maxBytes?: number; signal?: AbortSignal }): Promise<PulledImage> {
  if (!IMAGE_REFERENCE.test(ref)) throw new Error(`not an image reference: ${JSON.stringify(ref.slice(0, 100))}`);
  const port = opts.port ?? INNER_DOCKER_PORT;
  // `fromImage` and `tag` apart, as the CLI sends them (a name without a tag would pull every tag).
  const at = ref.indexOf('@');
  const colon = ref.lastIndexOf(':');
  const tagged = at < 0 && colon > ref.lastIndexOf('/');
  const query = tagged ? `fromImage=${encodeURIComponent(ref.slice(0, colon))}&tag=${encodeURIComponent(ref.slice(colon + 1))}` : `fromImage=${encodeURIComponent(ref)}${at < 0 ? '&tag=latest' : ''}`;
  const started = Date.now();
  const answer = await boundedRequest('POST', {
    host: ip,
    port,
    path: `/images/create?${query}`,
    limits: { maxBytes: opts.maxBytes ?? PULL_ANSWER_MAX_BYTES, timeoutMs: opts.timeoutMs },
    what: `pulling ${ref} in ${ip}`,
    signal: opts.signal,
  });
  const text = answer.body.toString('utf8');
  const failure = answer.status >= 400 ? (messageOf(text) ?? `HTTP ${answer.status}`) : pullError(text);
  if (failure) throw new Error(`pulling ${ref} in ${ip}: ${failure}`);
  const left = Math.max(1000, opts.timeoutMs - (Date.now() - started));
  const inspect = await boundedGet({ host: ip, port, path: `/images/${encodeURI(ref)}/json`, limits: { maxBytes: INNER_API_MAX_BYTES, timeoutMs: left }, signal: opts.signal });
  const text2 = inspect.body.toString('utf8');
  if (inspect.status >= 400) throw new Error(`${ref} in ${ip} after the pull: ${messageOf(text2) ?? `HTTP ${inspect.status}`}`);
  const image = JSON.parse(text2) as { Id?: unknown; Size?: unknown; RepoDigests?: unknown };
  return {
    id: typeof image.Id === 'string' ? image.Id : '',
    sizeBytes: typeof image.Size === 'number' ? image.Size : 0,
    repoDigests: Array.isArray(image.RepoDigests) ? image.RepoDigests.filter((d): d is string => typeof d === 'string') : [],
  };
}

/** The first error a pull's progress stream reports (`{"error": ...}` lines), if any. */
export function pullError(progress: string): string | undefined {
  for (const line of progress.split('\n')) {
    if (!line.includes('"error')) continue;
    try {
      const msg = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      const text = msg.error ?? msg.errorDetail?.message;
      if (text !== undefined) return String(text).slice(0, 300);
    } catch {
      // a cut line: not an error report
    }
  }
  return undefined;
}

function messageOf(text: string): string | undefined {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    return typeof m === 'string' ? m.slice(0, 300) : undefined;
  } catch {
    return text.trim().slice(0, 300) || undefined;
  }
}
