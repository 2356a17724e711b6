/**
 * A workshop in three browsers at once: the instructor's dashboard and two
 * learners who join with the code. A pass turns the learner's cell green, the
 * instructor watches a learner type, brings everyone to the next lesson (the
 * learner who skipped an exercise gets its solution applied), a learner can
 * open neither the dashboard nor its socket, and the end removes every
 * container, network and volume of the learners' clusters.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { LABEL, labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { E2E_ADMIN_TOKEN, E2E_INSTANCE } from '../../playwright.config.ts';
import { docker, leftovers } from '../helpers/server.ts';
import { openTerminal, terminalScreen, typeCommand } from './terminal.ts';
import { gotoSteadily } from './navigation.ts';

const LESSON = 'initialise-the-swarm';
const NEXT = 'first-service';

/** The id of a learner's cluster, found on the engine by its manager's address. */
async function clusterOf(page: Page): Promise<string> {
  const { cluster } = (await (await page.request.post('/sandbox/session')).json()) as { cluster: { nodes: { name: string; ip: string }[] } };
  const ip = cluster.nodes.find((n) => n.name === 'manager')?.ip;
  const containers = await docker.listContainers({ all: true, filters: labelFilter(E2E_INSTANCE) });
  const manager = containers.find((c) => Object.values(c.NetworkSettings.Networks).some((n) => n.IPAddress === ip));
  expect(manager, `a container with the manager's address ${ip}`).toBeTruthy();
  return manager!.Labels[LABEL.cluster]!;
}

async function thingsOf(clusterId: string): Promise<number> {
  const left = await leftovers(E2E_INSTANCE, clusterId);
  return left.containers + left.networks + left.volumes;
}

async function join(browser: Browser, code: string, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await gotoSteadily(page, `/join/${code}`);
  await page.getByLabel(/Your name/).fill(name);
  await page.getByRole('button', { name: 'Join the workshop' }).click();
  await expect(page).toHaveURL(new RegExp(`/lessons/${LESSON}$`));
  return page;
}

test('instructor dashboard with two learners: join, live pass, watch a terminal, 403 for learners', async ({ browser, request }) => {
  // Two learners' clusters, a live pass and a catch-up that applies a solution: on a loaded 2-core
  // host the waits add up past Playwright's default 2 minutes.
  test.setTimeout(300_000);
  const res = await request.post('/sandbox/workshops', {
    data: { title: 'Swarm in the afternoon', lessons: [LESSON, NEXT], capacity: 2 },
    headers: { Authorization: `Bearer ${E2E_ADMIN_TOKEN}` }, // the operator's instructor key (SWB_ADMIN_TOKEN)
  });
  expect(res.status()).toBe(201);
  const ws = (await res.json()) as { id: string; joinCode: string; instructorUrl: string };

  // The private link carries the key in its fragment, which the browser never sends to a server.
  expect(ws.instructorUrl).toMatch(/^\/workshops\/[a-z0-9]{12}#key=[\w-]{40,}$/);
  const instructor = await (await browser.newContext()).newPage();
  const opened = await gotoSteadily(instructor, ws.instructorUrl);
  expect(opened?.headers()['referrer-policy'], 'no Referer leaves an instructor page').toBe('no-referrer');
  await expect(instructor.getByRole('heading', { name: 'Swarm in the afternoon' })).toBeVisible();
  await expect(instructor, 'the secret leaves the address bar').not.toHaveURL(/key=/);
  // An old-style link (?key=) still opens the dashboard: the server moves the key into the fragment.
  const legacy = await (await browser.newContext()).newPage();
  await gotoSteadily(legacy, ws.instructorUrl.replace('#', '?'));
  await expect(legacy.getByRole('heading', { name: 'Swarm in the afternoon' })).toBeVisible();
  await expect(legacy).not.toHaveURL(/key=/);
  await legacy.context().close();
  await expect(instructor.getByText('No one has joined yet.')).toBeVisible();
  await instructor.getByRole('button', { name: 'Join card with QR code' }).click();
  await expect(instructor.locator('[aria-label^="QR code for"] svg'), 'QR made locally, no external service').toBeVisible();
  await instructor.emulateMedia({ media: 'print' });
  await expect(instructor.getByTestId('print-sheet').locator('svg'), 'printing gives a sheet of cards').toHaveCount(6);
  await expect(instructor.getByTestId('print-sheet').locator('svg').first()).toBeVisible();
  await expect(instructor.getByRole('button', { name: 'End workshop' }), 'and nothing else').toBeHidden();
  await instructor.emulateMedia({ media: 'screen' });
  await expect(instructor.getByTestId('print-sheet')).toBeHidden();

  const [ada, bob] = await Promise.all([join(browser, ws.joinCode, 'Ada'), join(browser, ws.joinCode, 'Bob')]);
  const row = (name: string) => instructor.locator(`tr[data-learner="${name}"]`);
  await expect(row('Ada')).toBeVisible();
  await expect(row('Bob')).toBeVisible();

  // Ada initialises her swarm: her cell turns green within seconds.
  await openTerminal(ada, 'manager');
  await typeCommand(ada, 'manager', 'docker swarm init');
  await expect(terminalScreen(ada, 'manager')).toContainText('Swarm initialized', { timeout: 60_000 });
  await expect(row('Ada').locator(`td[data-exercise="${LESSON}/swarm-active"]`)).toHaveAttribute('data-state', 'passed', { timeout: 15_000 });
  await expect(row('Bob').locator(`td[data-exercise="${LESSON}/swarm-active"]`)).toHaveAttribute('data-state', 'pending');
  await expect(row('Ada').locator('td').first()).toHaveText(LESSON);

  // The instructor watches Bob's terminal; Bob is told, and his typing shows up live.
  await openTerminal(bob, 'manager');
  await row('Bob').getByRole('button', { name: 'Watch' }).click();
  await expect(bob.getByText('Your instructor is watching your terminal.')).toBeVisible();
  await typeCommand(bob, 'manager', 'echo typed-by-bob-$((6*7))');
  await instructor.locator('[aria-label="Watched learner terminal"]').scrollIntoViewIfNeeded();
  await expect(instructor.locator('[aria-label="Watched learner terminal"]')).toContainText('typed-by-bob-42', { timeout: 15_000 });

  // Bring everyone to the next lesson: both pages go there; Bob never initialised his swarm, so that is applied for him.
  await instructor.getByLabel('Bring everyone to').selectOption(NEXT);
  await instructor.getByRole('button', { name: 'Go', exact: true }).click();
  await expect(ada).toHaveURL(new RegExp(`/lessons/${NEXT}$`));
  await expect(bob).toHaveURL(new RegExp(`/lessons/${NEXT}$`));
  await expect(bob.getByText(/being applied on your cluster/)).toBeVisible();
  await expect(row('Bob').locator(`td[data-exercise="${LESSON}/swarm-active"]`)).toHaveAttribute('data-state', 'passed', { timeout: 90_000 });
  await expect(row('Bob').locator('[data-catch-up]')).toHaveAttribute('data-catch-up', 'done');
  await expect(row('Ada').locator('[data-catch-up]'), 'Ada had done everything before').toHaveCount(0);
  // Both now face the same unpassed check: the room view groups their message.
  await expect(instructor.getByRole('region', { name: 'Common failing checks' })).toContainText('2 ×', { timeout: 30_000 });

  // A learner who finds the dashboard address gets a 403, on the page, from the API and on its socket (no one's terminal).
  const clusters = await Promise.all([clusterOf(ada), clusterOf(bob)]);
  await gotoSteadily(ada, `/workshops/${ws.id}`);
  await expect(ada.getByRole('heading', { name: 'Not allowed (403)' })).toBeVisible();
  expect((await ada.request.get(`/sandbox/workshops/${ws.id}/dashboard`)).status()).toBe(403);
  const socketOpened = await ada.evaluate(
    (path) =>
      new Promise<boolean>((resolve) => {
        const s = new WebSocket(location.origin.replace(/^http/, 'ws') + path);
        s.onopen = () => resolve(true);
        s.onerror = () => resolve(false);
      }),
    `/sandbox/workshops/${ws.id}/ws`,
  );
  expect(socketOpened, "a learner cannot open the instructor's socket").toBe(false);

  // End: the learners are told, and every container, network and volume of their clusters is gone.
  expect(await thingsOf(clusters[0])).toBeGreaterThan(0);
  instructor.once('dialog', (d) => void d.accept());
  await instructor.getByRole('button', { name: 'End workshop' }).click();
  await expect(instructor.getByText('Workshop ended: every learner cluster was removed.')).toBeVisible({ timeout: 60_000 });
  await expect(bob.getByText('The workshop has ended.')).toBeVisible();
  for (const id of clusters) expect(await thingsOf(id), `cluster ${id} left nothing behind`).toBe(0);
});

test('an instructor creates a workshop from the site and opens its dashboard', async ({ page }) => {
  // Without the operator's key the server refuses, in words.
  const opened = await gotoSteadily(page, '/workshops/new');
  expect(opened?.headers()['referrer-policy'], 'no Referer leaves the page the instructor key arrives in').toBe('no-referrer');
  await page.getByLabel(/Instructor key/).fill('a-guessed-key-1234');
  await page.getByRole('button', { name: 'Create workshop' }).click();
  await expect(page.getByRole('alert').filter({ hasText: "That instructor key is not this server's" })).toBeVisible();
  // The instructor link the operator hands out (npm start / npm run instructor print it): the key fills in and leaves the address bar.
  await gotoSteadily(page, `/workshops/new#key=${encodeURIComponent(E2E_ADMIN_TOKEN)}`);
  await expect(page.getByLabel(/Instructor key/)).toHaveValue(E2E_ADMIN_TOKEN);
  await expect(page).not.toHaveURL(/key=/);
  await page.getByLabel('Title').fill('Form-made workshop');
  await page.getByLabel('Capacity (learners)').fill('4');
  await page.getByLabel(/Expected learners/).fill('0');
  const inHours = (h: number) => new Date(Date.now() + h * 3600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.getByLabel('Starts').fill(inHours(0));
  await page.getByLabel(/^Ends/).fill(inHours(-1));
  await page.getByRole('button', { name: 'Create workshop' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'must end at least 5 minutes after it starts' })).toBeVisible();
  await page.getByLabel(/^Ends/).fill(inHours(2));
  await page.getByRole('button', { name: 'Create workshop' }).click();
  await expect(page.getByRole('heading', { name: 'Workshop created' })).toBeVisible();
  const code = await page.locator('p[class*="code"]').first().textContent();
  expect(code).toMatch(/^[A-Z2-9]{6}$/);

  await page.getByRole('link', { name: 'Open the dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'Form-made workshop' })).toBeVisible();
  await expect(page.getByTestId('join-code')).toHaveText(code!);
  await expect(page, 'the secret leaves the address bar').not.toHaveURL(/key=/);
  await expect(page.getByText('0 of 4 joined')).toBeVisible();
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'End workshop' }).click();
  await expect(page.getByText('Workshop ended: every learner cluster was removed.')).toBeVisible();
});
