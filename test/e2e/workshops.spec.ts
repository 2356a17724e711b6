/**
 * A workshop in three browsers at once: the instructor's dashboard and two
 * learners who join with the code. A pass turns the learner's cell green, the
 * instructor watches a learner type, and a learner cannot open the dashboard.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { openTerminal, terminalScreen, typeCommand } from './terminal';

const LESSON = 'initialise-the-swarm';

async function join(browser: Browser, code: string, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`/join/${code}`);
  await page.getByLabel(/Your name/).fill(name);
  await page.getByRole('button', { name: 'Join the workshop' }).click();
  await expect(page).toHaveURL(new RegExp(`/lessons/${LESSON}$`));
  return page;
}

test('instructor dashboard with two learners: join, live pass, watch a terminal, 403 for learners', async ({ browser, request }) => {
  const res = await request.post('/sandbox/workshops', { data: { title: 'Swarm in the afternoon', lessons: [LESSON], capacity: 2 } });
  expect(res.status()).toBe(201);
  const ws = (await res.json()) as { id: string; joinCode: string; instructorUrl: string };

  const instructor = await (await browser.newContext()).newPage();
  await instructor.goto(ws.instructorUrl);
  await expect(instructor.getByRole('heading', { name: 'Swarm in the afternoon' })).toBeVisible();
  await expect(instructor, 'the secret leaves the address bar').not.toHaveURL(/key=/);
  await expect(instructor.getByText('No one has joined yet.')).toBeVisible();
  await instructor.getByRole('button', { name: 'Join card with QR code' }).click();
  await expect(instructor.locator('[aria-label^="QR code for"] svg'), 'QR made locally, no external service').toBeVisible();

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

  // A learner who finds the dashboard address gets a 403, on the page and from the API.
  await ada.goto(`/workshops/${ws.id}`);
  await expect(ada.getByRole('heading', { name: 'Not allowed (403)' })).toBeVisible();
  expect((await ada.request.get(`/sandbox/workshops/${ws.id}/dashboard`)).status()).toBe(403);

  // End: the learners are told, their clusters go.
  instructor.once('dialog', (d) => void d.accept());
  await instructor.getByRole('button', { name: 'End workshop' }).click();
  await expect(instructor.getByText('Workshop ended: every learner cluster was removed.')).toBeVisible({ timeout: 60_000 });
  await expect(bob.getByText('The workshop has ended.')).toBeVisible();
});
