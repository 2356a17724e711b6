/** Checks that look at what a node serves or holds: HTTP answers, lab files, plain containers. */
import type { ContainerParams, FileParams, HttpParams } from './schema.js';
import type { ClusterView, ContainerJson } from './engine.js';
import { type Outcome, fail, pass } from './outcome.js';
import { hasIngressPort, usesVip } from './services.js';
import { displayImage, list, normalizeImage, pageGist, q } from './words.js';

export async function checkHttp(p: HttpParams, view: ClusterView): Promise<Outcome> {
  const where = `${p.node}:${p.port}${p.path === '/' ? '' : p.path}`;
  const answer = await view.http(p.node, p.port, p.path);
  const services = (await view.swarmManager()) ? await view.services() : [];
  if (!answer.ok) {
    if (!view.ipvs) {
      const mesh = services.find((s) => hasIngressPort(s, p.port));
      if (mesh) {
        return fail(
          `nothing answers on ${where}: service ${q(mesh.Spec.Name)} publishes port ${p.port} through the routing mesh, which this host cannot serve (it has no IPVS). ` +
            `Publish it in host mode instead: docker service update --publish-rm ${p.port} --publish-add mode=host,target=${p.port},published=${p.port} ${mesh.Spec.Name}`,
        );
      }
    }
    return fail(`nothing answers on ${where} (${answer.error})`);
  }
  const statusOk = p.status === undefined || answer.status === p.status;
  const textOk = p.contains === undefined || answer.body.includes(p.contains);
  if (statusOk && textOk) return pass(`${where} answers${p.contains ? ` with “${p.contains}”` : ''}`);
  const notes = view.ipvs ? [] : services.filter(usesVip).map(
    (s) => `This host has no IPVS, so the virtual IP of ${q(s.Spec.Name)} leads nowhere and other services cannot reach it by name. If the page is waiting for it, switch it to DNS round robin: docker service update --endpoint-mode dnsrr ${s.Spec.Name}`,
  );
  const expected = [p.status !== undefined && `HTTP ${p.status}`, p.contains && `“${p.contains}”`].filter(Boolean).join(' with ');
  const gist = pageGist(answer.body);
  return fail(`${where} answered HTTP ${answer.status}${gist ? `: ${gist}` : ' with an empty page'} (expected ${expected})`, notes);
}

export async function checkFile(p: FileParams, view: ClusterView): Promise<Outcome> {
  const text = await view.file(p.node, p.path);
  if (text === null) return fail(`${p.path} does not exist on ${q(p.node)}`);
  if (p.contains !== undefined && !text.includes(p.contains)) return fail(`${p.path} on ${q(p.node)} does not contain “${p.contains}” (saved?)`);
  return pass(`${p.path} on ${q(p.node)} is as expected`);
}

const isTask = (c: ContainerJson) => !!c.Labels?.['com.docker.swarm.task.id'];
const containerName = (c: ContainerJson) => c.Names?.[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);

export async function checkContainer(p: ContainerParams, view: ClusterView): Promise<Outcome> {
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
  if (!found.length) {
    const also = tasksOfImage ? ` (${tasksOfImage} swarm ${tasksOfImage === 1 ? 'task runs' : 'tasks run'} it, but this exercise wants a plain docker run container)` : '';
    return fail(`no container from ${displayImage(p.image)} is running on ${list(nodes.map(q), 'any node')}${also}`);
  }
  if (!p.ports?.length) return pass(`container ${q(containerName(found[0]!.c))} runs on ${q(found[0]!.node)}`);
  const portsOf = (c: ContainerJson) => [...new Set((c.Ports ?? []).filter((x) => x.PublicPort).map((x) => `${x.PublicPort}->${x.PrivatePort}${x.Type && x.Type !== 'tcp' ? `/${x.Type}` : ''}`))];
  const fits = found.find(({ c }) =>
    p.ports!.every((want) => (c.Ports ?? []).some((x) => x.PublicPort === want.published && x.PrivatePort === want.target && (!want.protocol || x.Type === want.protocol))),
  );
  if (fits) return pass(`container ${q(containerName(fits.c))} on ${q(fits.node)} publishes ${list(portsOf(fits.c))}`);
  const first = found[0]!;
  const have = portsOf(first.c);
  const want = p.ports.map((x) => `${x.published}->${x.target}`);
  return fail(`container ${q(containerName(first.c))} (${displayImage(p.image)}) on ${q(first.node)} ${have.length ? `publishes ${list(have)}` : 'publishes no ports'} (expected ${list(want)})`);
}
