/**
 * The seed path's first scale-out on a real cluster, timed, and what the workers pulled for it
 * (preload.test.ts and `npm run bench`): swarm init, the Flask app as a service on the manager
 * alone, the workers joining, then `docker service scale app=<nodes>` until every task runs. Host-mode
 * publishing puts one task on every node (and works with or without IPVS). Commands run in the nodes
 * through non-interactive execs; the cluster's state is read from the nodes' own engines.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { boundedGet } from '../../sandbox-server/src/engine/bounded.ts';
import { INNER_DOCKER_PORT, innerApi } from '../../sandbox-server/src/engine/inner-api.ts';
import { execInNode } from '../../sandbox-server/src/engine/node-exec.ts';

export interface Node {
  name: string;
  ip: string;
  containerId: string;
}

/** Run a shell command in a node; its output, or an error with it when it fails. */
export async function sh(docker: Docker, node: Node, cmd: string, deadlineMs = 180_000): Promise<string> {
  const { exitCode, output } = await execInNode(docker.getContainer(node.containerId), ['sh', '-c', cmd], { node: node.name, what: cmd, deadlineMs });
  if (exitCode !== 0) throw new Error(`${node.name}: \`${cmd}\` failed (${exitCode}): ${output.trim().slice(-500)}`);
  return output;
}

interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
}

/** The images a node's engine holds. */
export async function nodeImages(ip: string): Promise<ImageSummary[]> {
  return (await innerApi(ip).listImages()) as ImageSummary[];
}

/** Whether a node holds `ref` under that name, with the repo digest a pull records (not a bare `docker load`). */
export async function holdsImage(ip: string, ref: string): Promise<boolean> {
  return (await nodeImages(ip)).some((i) => (i.RepoTags ?? []).includes(ref) && (i.RepoDigests ?? []).length > 0);
}

/** `docker events` of a node between two moments (seconds since the epoch), image events only: "pull flask_app:3.0", ... */
export async function imageEvents(ip: string, since: number, until: number): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ type: ['image'] }));
  const answer = await boundedGet({ host: ip, port: INNER_DOCKER_PORT, path: `/events?since=${since}&until=${until}&filters=${filters}`, limits: { maxBytes: 1024 * 1024, timeoutMs: 15_000 } });
  return answer.body
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action?: string; Actor?: { ID?: string }; id?: string })
    .map((e) => `${e.Action} ${e.Actor?.ID ?? e.id ?? ''}`.trim());
}

interface Task {
  ServiceID: string;
  DesiredState: string;
  Status?: { State?: string };
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ScaleOut {
  /** `docker service create` on the manager alone -> its task running (lesson 3's wait, the manager's pull included). */
  firstTaskMs: number;
  /** Typing `docker service scale` -> every task running. */
  ms: number;
  /** The image the service's tasks run, as swarm recorded it (digest-pinned when the mirror gave a digest). */
  taskImage: string;
  /** Per worker: its image events during the scale-out ("pull ..." when it pulled). */
  workerEvents: { node: string; events: string[] }[];
  /** Per worker: images it holds after the scale-out that it did not hold before. */
  newImages: { node: string; ids: string[] }[];
}

/** The seed path's first scale-out on a fresh cluster (manager first): see the file's comment. */
export async function firstScaleOut(docker: Docker, nodes: readonly Node[], image = 'flask_app:3.0', timeoutMs = 300_000): Promise<ScaleOut> {
  const [manager, ...workers] = nodes;
  if (!manager || workers.length === 0) throw new Error('a scale-out needs a manager and at least one worker');
  const api = innerApi(manager.ip);
  await sh(docker, manager, 'docker swarm init >/dev/null');
  const created = Date.now();
  await sh(docker, manager, `docker service create --detach -q --name app --publish mode=host,target=5000,published=5000 ${image} >/dev/null`);
  const serviceId = async () => ((await api.listServices()) as { ID: string; Spec: { Name: string } }[]).find((s) => s.Spec.Name === 'app')!.ID;
  const running = async (n: number) => {
    const id = await serviceId();
    const tasks = (await api.listTasks()) as Task[];
    return tasks.filter((t) => t.ServiceID === id && t.DesiredState === 'running' && t.Status?.State === 'running').length === n;
  };
  await until('the app running on the manager', () => running(1), timeoutMs, 50);
  const firstTaskMs = Date.now() - created;
  for (const w of workers) await sh(docker, w, 'docker swarm join --token $(docker -H tcp://manager:2375 swarm join-token -q worker) manager:2377 >/dev/null');
  await until('every worker ready', async () => ((await api.listNodes()) as { Status?: { State?: string } }[]).filter((n) => n.Status?.State === 'ready').length === nodes.length, 60_000);
  const before = await Promise.all(workers.map(async (w) => new Set((await nodeImages(w.ip)).map((i) => i.Id))));

  const t0 = Date.now();
  await sh(docker, manager, `docker service scale --detach app=${nodes.length} >/dev/null`);
  await until(`${nodes.length} tasks of the app running`, () => running(nodes.length), timeoutMs, 50);
  const ms = Date.now() - t0;

  const since = Math.floor(t0 / 1000);
  const to = Math.ceil(Date.now() / 1000);
  const workerEvents = await Promise.all(workers.map(async (w) => ({ node: w.name, events: await imageEvents(w.ip, since, to) })));
  const newImages = await Promise.all(workers.map(async (w, i) => ({ node: w.name, ids: (await nodeImages(w.ip)).map((x) => x.Id).filter((id) => !before[i]!.has(id)) })));
  const service = ((await api.listServices()) as { Spec: { Name: string; TaskTemplate: { ContainerSpec: { Image: string } } } }[]).find((s) => s.Spec.Name === 'app')!;
  return { firstTaskMs, ms, taskImage: service.Spec.TaskTemplate.ContainerSpec.Image, workerEvents, newImages };
}
