/**
 * A page view takes no cluster (issue 11): a plain GET of every lesson page and
 * a real browser that only loads every lesson leave the server's clusters
 * alone; the learner's first action in the terminal takes one, and with the
 * warm pool the prompt appears at once (measured).
 *
 * Runs its own `npm start` server on its own port and instance, so the count
 * of clusters on the engine belongs to this test alone (the shared e2e server
 * serves other specs in parallel).
 */
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { LABEL, labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { lessonFiles } from '@contract/lesson-file.ts';
import { E2E_INSTANCE, E2E_PORT } from '../../playwright.config.ts';
import { docker } from '../helpers/server.ts';
import { gotoSteadily } from './navigation.ts';
import { startOwnServer, type OwnServer } from './own-server.ts';
import { terminalScreen } from './terminal.ts';

const PORT = E2E_PORT + 6;
const INSTANCE = `${E2E_INSTANCE}-cl`;
const BASE = `http://127.0.0.1:${PORT}`;
/** Every lesson of the site, by its slug (the file name without its order prefix). */
const LESSONS = lessonFiles(fs.readdirSync('content/lessons')).map((f) => f.slug);

let server: OwnServer | undefined;

test.beforeAll(async () => {
  server = await startOwnServer(PORT, INSTANCE, { SWB_POOL_SIZE: '1', SWB_WORKERS: '0', SWB_LOG_LEVEL: 'warn' });
  await expect.poll(async () => (await health().catch(() => undefined))?.warmClusters, { timeout: 200_000, intervals: [500] }).toBe(1);
});

test.afterAll(async () => {
  await server?.stop();
  server = undefined;
});


async function health(): Promise<{ warmClusters: number; claimed: { anonymous: number; workshop: number } }> {
  const res = await fetch(`${BASE}/sandbox/health`);
  return (await res.json()) as { warmClusters: number; claimed: { anonymous: number; workshop: number } };
}

/** Clusters of this instance on the engine (learners' and warm ones), by id. */
async function clustersOnEngine(): Promise<Set<string>> {
  const containers = await docker.listContainers({ all: true, filters: labelFilter(INSTANCE) });
  return new Set(containers.map((c) => c.Labels[LABEL.cluster]!));
}

/** The cluster a node address belongs to, found on the engine. */
async function clusterWithAddress(ip: string): Promise<string | undefined> {
  const containers = await docker.listContainers({ all: true, filters: labelFilter(INSTANCE) });
  return containers.find((c) => Object.values(c.NetworkSettings.Networks).some((n) => n.IPAddress === ip))?.Labels[LABEL.cluster];
}

test('loading every lesson claims no cluster; one click in the terminal does, and the prompt comes at once', async ({ browser, request }) => {
  test.setTimeout(600_000); // ~1 min on an idle machine; page loads crawl when the host is loaded
  expect(LESSONS.length).toBeGreaterThan(5);
  // A crawler, a link preview or a prefetch: plain GETs of every lesson page.
  for (const slug of LESSONS) expect((await request.get(`${BASE}/lessons/${slug}`)).status(), slug).toBe(200);

  // A browser that only loads every lesson (scripts run, the workbench connects, nobody acts).
  // One after the other in one tab (a background tab may never draw its workbench), each until its workbench is
  // connected and says it has not started.
  const page = await (await browser.newContext({ baseURL: BASE })).newPage();
  for (const slug of LESSONS) {
    await gotoSteadily(page, `/lessons/${slug}`);
    await expect(page.locator('[data-sandbox-status]'), slug).toHaveAttribute('data-sandbox-status', 'unclaimed', { timeout: 90_000 });
  }
  await expect(page.getByRole('button', { name: 'Start sandbox' })).toBeVisible();
  expect((await health()).claimed, 'no learner holds a cluster').toEqual({ anonymous: 0, workshop: 0 });
  const before = await clustersOnEngine();
  expect(before.size, 'only the warm cluster exists on the engine').toBe((await health()).warmClusters);

  // The learner's first action: a click into the terminal. The warm cluster is theirs, the prompt appears.
  const t0 = Date.now();
  await terminalScreen(page, 'manager').click({ force: true }); // on the "click here to start" overlay, as a learner would
  await expect(terminalScreen(page, 'manager')).toContainText('root@manager', { timeout: 60_000 });
  const ms = Date.now() - t0;
  console.log(`first action -> prompt with the warm pool: ${ms} ms`);
  expect((await health()).claimed).toEqual({ anonymous: 1, workshop: 0 });
  // At once = the warm cluster was handed over (no cold start); the time is reported (it depends on the host's load).
  const { cluster } = (await (await page.request.post('/sandbox/session')).json()) as { cluster: { nodes: { name: string; ip: string }[] } };
  const mine = await clusterWithAddress(cluster.nodes.find((n) => n.name === 'manager')!.ip);
  expect(before.has(mine!), 'the learner got the cluster that was warm before the click').toBe(true);
});
