/** Checks that look at what a node serves or holds: HTTP answers, lab files, plain containers. */
import { SWARM_TASK_ID_LABEL } from '@contract/docker.ts';
import type { CheckParams } from '@contract/checks.ts';
import type { ClusterView, ContainerJson } from './engine.ts';
import { type Outcome, fail, pass } from './outcome.ts';
import { hasIngressPort, ingressProblem, servicePorts, usesVip } from './services.ts';
import { displayImage, list, normalizeImage, pageGist, q } from './words.ts';

export async function checkHttp(p: CheckParams<'http'>, view: ClusterView): Promise<Outcome> {
  const where = `${p.node}:${p.port}${p.path === '/' ? '' : p.path}`;
  const answer = await view.http(p.node, p.port, p.path);
  const services = (await view.swarmManager()) ? await view.services() : [];
  if (!answer.ok) {
    if (!view.ipvs) {
      const mesh = services.find((s) => hasIngressPort(s, p.port));
      if (mesh) {
        const port = servicePorts(mesh).find((x) => x.PublishedPort === p.port || x.TargetPort === p.port);
        return fail(`nothing answers on ${where}: ${ingressProblem(mesh, p.port, port?.TargetPort ?? p.port)}`);
      }
    }
    return fail(`nothing answers on ${where} (${answer.error})`);
  }
  const statusOk = p.status === undefined || answer.status === p.status;
  const textOk = p.contains === undefined || answer.body.includes(p.contains);
  if (statusOk && textOk) return pass(`${where} answers${p.contains ? ` with “${p.contains}”` : ''}`);
  const notes = view.ipvs ? [] : services.filter(usesVip).map(
    (s) => `This host has no IPVS, so the virtual IP of ${q(s.Spec.Name)} leads nowhere and other services cannot reach it by name. If the page is waiting for it, switch it to DNS round robin: \`docker service update --endpoint-mode dnsrr ${s.Spec.Name}\``,
  );
  const expected = [p.status !== undefined && `HTTP ${p.status}`, p.contains && `“${p.contains}”`].filter(Boolean).join(' with ');
  const gist = pageGist(answer.body);
  return fail(`${where} answered HTTP ${answer.status}${gist ? `: ${gist}` : ' with an empty page'} (expected ${expected})`, notes);
}

export async function checkFile(p: CheckParams<'file'>, view: ClusterView): Promise<Outcome> {
  const text = await view.file(p.node, p.path);
  if (text === null) return fail(`${p.path} does not exist on ${q(p.node)}`);
  if (p.contains !== undefined && !text.includes(p.contains)) return fail(`${p.path} on ${q(p.node)} does not contain “${p.contains}”: edit it in the editor and save`);
  return pass(`${p.path} on ${q(p.node)} is as expected`);
}

const isTask = (c: ContainerJson) => !!c.Labels?.[SWARM_TASK_ID_LABEL];
const containerName = (c: ContainerJson) => c.Names?.[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);

export async function checkContainer(p: CheckParams<'container'>, view: ClusterView): Promise<Outcome> {
  const nodes = p.node ? [p.node] : [...view.nodeNames];
  const image = normalizeImage(p.image);
  const found: { node: string; c: ContainerJson }[] = [];
  let tasksOfImage = 0;
  for (const node of nodes) {
    for (const c of (await view.containers(node)) ?? []) {
      if (normalizeImage(c.Image ?? '') !== image) continue;
      if (isTask(c)) tasksOfImage++;
      else found.push({ node, c });
    }
  }
  const again = p.run ? `, then start it ${p.node ? `on ${p.node}` : 'again'} with \`${p.run}\`` : '';
  if (!found.length) {
    // On another node than the one asked for (e.g. a worker, whose engine knows nothing of the swarm)?
    for (const node of view.nodeNames.filter((n) => !nodes.includes(n))) {
      const elsewhere = ((await view.containers(node)) ?? []).find((c) => !isTask(c) && normalizeImage(c.Image ?? '') === image);
      if (elsewhere) {
        return fail(`container ${q(containerName(elsewhere))} (${displayImage(p.image)}) runs on ${q(node)}, not on ${list(nodes.map(q))}: remove it, on ${node}: \`docker rm -f ${containerName(elsewhere)}\`${again}`);
      }
    }
    const also = tasksOfImage ? ` (${tasksOfImage} swarm ${tasksOfImage === 1 ? 'task runs' : 'tasks run'} it, but this exercise wants a plain docker run container)` : '';
    return fail(`no container from ${displayImage(p.image)} is running on ${list(nodes.map(q), 'any node')}${also}${p.run ? `: start it with \`${p.run}\`` : ''}`);
  }
  const portsOf = (c: ContainerJson) => [...new Set((c.Ports ?? []).filter((x) => x.PublicPort).map((x) => `${x.PublicPort}->${x.PrivatePort}${x.Type && x.Type !== 'tcp' ? `/${x.Type}` : ''}`))];
  const portsOk = (c: ContainerJson) =>
    (p.ports ?? []).every((want) => (c.Ports ?? []).some((x) => x.PublicPort === want.published && x.PrivatePort === want.target && (!want.protocol || x.Type === want.protocol)));
  const mountsOk = (c: ContainerJson) => (p.mounts ?? []).every((want) => (c.Mounts ?? []).some((m) => m.Source === want.source && m.Destination === want.target));
  const fits = found.find(({ c }) => portsOk(c) && mountsOk(c));
  if (fits) {
    const ports = portsOf(fits.c);
    return pass(`container ${q(containerName(fits.c))} runs on ${q(fits.node)}${ports.length ? ` and publishes ${list(ports)}` : ''}`);
  }
  const first = found.find(({ c }) => portsOk(c)) ?? found[0]!;
  const name = containerName(first.c);
  const rm = `remove it with \`docker rm -f ${name}\`${again}`;
  if (!portsOk(first.c)) {
    const have = portsOf(first.c);
    const want = (p.ports ?? []).map((x) => `${x.published}->${x.target}`);
    return fail(`container ${q(name)} (${displayImage(p.image)}) on ${q(first.node)} ${have.length ? `publishes ${list(have)}` : 'publishes no ports'} (expected ${list(want)}): ${rm}`);
  }
  const missing = (p.mounts ?? []).filter((want) => !(first.c.Mounts ?? []).some((m) => m.Source === want.source && m.Destination === want.target));
  return fail(`container ${q(name)} on ${q(first.node)} has no bind mount of ${list(missing.map((m) => `${m.source} at ${m.target}`))}, so it cannot read what it needs: ${rm}`);
}
