/**
 * ClusterView over the real thing: each node's inner dockerd at
 * http://<node ip>:INNER_DOCKER_PORT, lab files through the Docker archive API
 * of the node container on the host engine, HTTP from this server to node:port.
 * Every question is asked at most once per view (one view = one round of checks).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { boundedGet, ReadLimitError } from '../engine/bounded.ts';
import { innerApi, type InnerApi } from '../engine/inner-api.ts';
import { readNodeFile } from '../files/labfiles.ts';
import { LAB_DIR } from '@contract/protocol.ts';
import type { ClusterView, ContainerJson, EngineInfo, HttpAnswer, NetworkJson, ServiceJson, SwarmNodeJson, TaskJson } from './engine.ts';

export interface NodeEndpoint {
  name: string;
  ip: string;
  /** The node container on the host engine. */
  containerId: string;
}

const ENGINE_TIMEOUT_MS = 10_000;
const HTTP_TIMEOUT_MS = 3000;
const HTTP_MAX_BYTES = 256 * 1024;
const RETRY_AFTER_MS = 1000;

const refusedOrTimedOut = (err: unknown): boolean =>
  (err instanceof ReadLimitError && err.kind === 'time') || /ECONNREFUSED|EHOSTUNREACH/.test(String((err as { code?: string })?.code ?? err));

/** dockerode clients for inner engines, kept across rounds (one per node address). */
export class InnerEngines {
  private readonly clients = new Map<string, InnerApi>();

  of(ip: string): InnerApi {
    let client = this.clients.get(ip);
    if (!client) {
      client = innerApi(ip, { limits: { timeoutMs: ENGINE_TIMEOUT_MS } });
      this.clients.set(ip, client);
    }
    return client;
  }
}

export class LiveClusterView implements ClusterView {
  readonly nodeNames: readonly string[];
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly nodes: readonly NodeEndpoint[],
    private readonly engines: InnerEngines,
    private readonly hostDocker: Docker,
    readonly ipvs: boolean,
  ) {
    this.nodeNames = nodes.map((n) => n.name);
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memo.set(key, p);
    }
    return p;
  }

  private engine(node: string): InnerApi | undefined {
    const n = this.nodes.find((x) => x.name === node);
    return n && this.engines.of(n.ip);
  }

  info(node: string): Promise<EngineInfo | null> {
    return this.once(`info:${node}`, async () => {
      const engine = this.engine(node);
      if (!engine) return null;
      try {
        return (await engine.info()) as EngineInfo;
      } catch (err) {
        // A refusal is an engine that is down (the learner stopped it) and a timeout already waited
        // long: those are the answer. A reset or a half answer is a busy host: ask once more.
        if (refusedOrTimedOut(err)) return null;
        await sleep(RETRY_AFTER_MS);
        return ((await engine.info().catch(() => null)) as EngineInfo | null);
      }
    });
  }

  swarmManager(): Promise<string | null> {
    return this.once('manager', async () => {
      const infos = await Promise.all(this.nodeNames.map(async (n) => [n, await this.info(n)] as const));
      const managers = infos.filter(([, i]) => i?.Swarm?.LocalNodeState === 'active' && i.Swarm.ControlAvailable).map(([n]) => n);
      const found = managers.includes('manager') ? 'manager' : managers[0] ?? null;
      // "No swarm yet" would be a guess while the node a swarm starts on has not answered: say so instead.
      if (!found && infos.some(([n, i]) => n === 'manager' && !i)) {
        throw new Error('the Docker engine on manager did not answer (busy, restarting or stopped?); the check runs again when it does');
      }
      return found;
    });
  }

  private swarmList<T>(key: string, list: (d: InnerApi) => Promise<unknown>): Promise<T[]> {
    return this.once(key, async () => {
      const node = await this.swarmManager();
      const engine = node ? this.engine(node) : undefined;
      if (!engine) return [];
      // A manager that just lost quorum or is leaving answers 503: nothing to report then.
      return ((await list(engine).catch(() => [])) as T[]) ?? [];
    });
  }

  services(): Promise<ServiceJson[]> {
    return this.swarmList('services', (d) => d.listServices());
  }

  tasks(): Promise<TaskJson[]> {
    return this.swarmList('tasks', (d) => d.listTasks());
  }

  swarmNodes(): Promise<SwarmNodeJson[]> {
    return this.swarmList('nodes', (d) => d.listNodes());
  }

  networks(node: string): Promise<NetworkJson[] | null> {
    return this.once(`networks:${node}`, async () => {
      const engine = this.engine(node);
      return engine ? ((await engine.listNetworks().catch(() => null)) as NetworkJson[] | null) : null;
    });
  }

  containers(node: string): Promise<ContainerJson[] | null> {
    return this.once(`containers:${node}`, async () => {
      const engine = this.engine(node);
      return engine ? ((await engine.listContainers().catch(() => null)) as ContainerJson[] | null) : null;
    });
  }

  http(node: string, port: number, path: string): Promise<HttpAnswer> {
    return this.once(`http:${node}:${port}${path}`, () => {
      const ip = this.nodes.find((n) => n.name === node)?.ip;
      return ip ? httpGet(ip, port, path) : Promise.resolve({ ok: false as const, error: `there is no node ${node}` });
    });
  }

  file(node: string, path: string): Promise<string | null> {
    return this.once(`file:${node}:${path}`, async () => {
      const n = this.nodes.find((x) => x.name === node);
      if (!n || !path.startsWith(`${LAB_DIR}/`)) return null;
      const content = await readNodeFile(this.hostDocker.getContainer(n.containerId), path.slice(LAB_DIR.length + 1)).catch(() => null);
      return content?.toString('utf8') ?? null;
    });
  }
}

export async function httpGet(host: string, port: number, path: string, timeoutMs = HTTP_TIMEOUT_MS): Promise<HttpAnswer> {
  try {
    // Whatever answers is the learner's: the body is cut at HTTP_MAX_BYTES and the whole GET at timeoutMs.
    const answer = await boundedGet({
      host,
      port,
      path,
      limits: { maxBytes: HTTP_MAX_BYTES, timeoutMs },
      headers: { 'User-Agent': 'swarm-workbench-check' },
      truncate: true,
    });
    return { ok: true, status: answer.status, body: answer.body.toString('utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const error = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ECONNRESET' ? 'connection reset' : e.name === 'ReadLimitError' ? `no answer within ${timeoutMs / 1000} s` : e.message;
    return { ok: false, error };
  }
}
