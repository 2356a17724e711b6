/**
 * "Watch the swarm heal" for a whole class: two learners each have a swarm
 * running a replicated service; the instructor fires "drain worker-2" from the
 * dashboard; on both real clusters worker-2 is drained and its task is
 * rescheduled on worker-1, and the dashboard shows both clusters as
 * recovered.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import type Docker from 'dockerode';
import { runStep } from '../../sandbox-server/src/checks/apply.ts';
import { LABEL, labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { INNER_DOCKER_PORT } from '../../sandbox-server/src/engine/inner-api.ts';
import { E2E_ADMIN_TOKEN, E2E_INSTANCE } from '../../playwright.config.ts';
import { docker } from '../helpers/server.ts';
import { gotoSteadily } from './navigation.ts';

const LESSON = 'self-healing';

/** The node containers of a learner's cluster, by node name. */
async function nodesOf(page: Page): Promise<Record<string, Docker.Container>> {
  let ip: string | undefined;
  await expect(async () => {
    const { cluster } = (await (await page.request.post('/sandbox/session')).json()) as { cluster?: { status?: string; nodes: { name: string; ip: string }[] } };
    ip = cluster?.nodes.find((n) => n.name === 'manager')?.ip;
    expect(ip, 'the learner has a cluster').toBeTruthy();
  }).toPass({ timeout: 120_000 });
  const containers = await docker.listContainers({ all: true, filters: labelFilter(E2E_INSTANCE) });
  const manager = containers.find((c) => Object.values(c.NetworkSettings.Networks).some((n) => n.IPAddress === ip));
  const clusterId = manager?.Labels[LABEL.cluster];
  expect(clusterId).toBeTruthy();
  return Object.fromEntries(containers.filter((c) => c.Labels[LABEL.cluster] === clusterId).map((c) => [c.Labels[LABEL.node]!, docker.getContainer(c.Id)]));
}

async function run(node: Docker.Container, command: string): Promise<string> {
  const r = await runStep(node, command, 120);
  expect(r.exitCode, `${command}\n${r.output}`).toBe(0);
  return r.output;
}

/** A swarm of three with a replicated service on the two workers (one task each). */
async function swarmWithService(nodes: Record<string, Docker.Container>): Promise<void> {
  await run(nodes.manager!, 'docker swarm init >/dev/null');
  const join = `docker swarm join --token $(docker -H tcp://manager:${INNER_DOCKER_PORT} swarm join-token -q worker) manager:2377`;
  await Promise.all([run(nodes['worker-1']!, join), run(nodes['worker-2']!, join)]);
  await run(nodes.manager!, 'docker service create --detach --name web --replicas 2 --constraint node.role==worker flask_app:3.0');
  await expect(async () => {
    const where = await run(nodes.manager!, "docker service ps web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'");
    expect(where.match(/Running/g)?.length, where).toBe(2);
    expect(where, 'one task on worker-2 before the fault').toContain('worker-2');
  }).toPass({ timeout: 240_000, intervals: [1000] });
}

async function join(browser: Browser, code: string, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await gotoSteadily(page, `/join/${code}`);
  await page.getByLabel(/Your name/).fill(name);
  await page.getByRole('button', { name: 'Join the workshop' }).click();
  await expect(page).toHaveURL(new RegExp(`/lessons/${LESSON}$`));
  return page;
}

test('class fault: the instructor drains worker-2 on every cluster and sees both swarms recover', async ({ browser, request }) => {
  test.setTimeout(600_000);
  const res = await request.post('/sandbox/workshops', {
    data: { title: 'Heal together', lessons: [LESSON], capacity: 2 },
    headers: { Authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
  });
  expect(res.status()).toBe(201);
  const ws = (await res.json()) as { joinCode: string; instructorUrl: string };
  const instructor = await (await browser.newContext()).newPage();
  expect(ws.instructorUrl, 'the key rides in the fragment, never sent to a server').toContain('#key=');
  await gotoSteadily(instructor, ws.instructorUrl);
  await expect(instructor.getByRole('heading', { name: 'Heal together' })).toBeVisible();

  const [ada, bob] = await Promise.all([join(browser, ws.joinCode, 'Ada'), join(browser, ws.joinCode, 'Bob')]);
  const clusters = await Promise.all([nodesOf(ada), nodesOf(bob)]);
  await Promise.all(clusters.map(swarmWithService));

  const panel = instructor.getByRole('region', { name: 'Class fault' });
  await panel.getByLabel('Fault').selectOption('drain');
  await panel.getByLabel('Node').selectOption('worker-2');
  instructor.once('dialog', (d) => void d.accept());
  await panel.getByRole('button', { name: 'Fire for everyone' }).click();
  await expect(instructor.getByText('Fault fired on 2 clusters')).toBeVisible();

  for (const name of ['Ada', 'Bob']) {
    await expect(panel.locator(`[data-fault-learner="${name}"]`), `${name}'s swarm healed`).toHaveAttribute('data-fault-state', 'recovered', { timeout: 150_000 });
  }
  await expect(panel.getByTestId('fault-summary')).toContainText('drain worker-2: 2 of 2 clusters recovered');

  // The dashboard's word is backed by the real clusters: worker-2 drained, every replica running elsewhere.
  for (const nodes of clusters) {
    expect(await run(nodes.manager!, "docker node inspect worker-2 --format '{{.Spec.Availability}}'")).toContain('drain');
    const where = await run(nodes.manager!, "docker service ps web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'");
    expect(where.match(/Running/g)?.length, where).toBe(2);
    expect(where).not.toContain('worker-2');
  }
});
