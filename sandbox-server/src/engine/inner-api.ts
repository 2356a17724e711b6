/**
 * The read-only questions the server asks a learner node's Docker API (<node ip>:2375), each one a
 * bounded GET: the learner is root in the node and may replace what answers there, so every answer
 * is limited in size and time (engine/bounded.ts). The visualizer feed, the live exercise checks and
 * the event streams all read nodes through this, never through an unbounded client.
 */
import type { IncomingMessage } from 'node:http';
import { boundedGet, openStream, type ReadLimits } from './bounded.ts';

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
    events: (filters) => openStream({ host: ip, port, path: `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`, headerTimeoutMs: limits.timeoutMs }),
  };
}
