/**
 * The learner's path through the real UI: type into the real terminal, Run a
 * command block on the right node, edit a lab file and read it back from a
 * worker, reload into the same shell, and a phone-sized viewport.
 */
import { expect, test } from '@playwright/test';
import { openTerminal, terminalScreen, terminalTab, typeCommand } from './terminal.ts';
import { gotoSteadily } from './navigation.ts';

test('lesson 2: typing docker swarm init into the embedded terminal initialises the swarm', async ({ page }) => {
  await gotoSteadily(page, '/lessons/initialise-the-swarm');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await openTerminal(page, 'manager');
  const exercise = page.locator('[data-exercise-id="swarm-active"]');
  await expect(exercise).not.toHaveAttribute('data-state', 'passed');
  await typeCommand(page, 'manager', 'docker swarm init');
  await expect(terminalScreen(page, 'manager')).toContainText('Swarm initialized', { timeout: 60_000 });
  // The exercise turns green by itself (live checks on cluster events): no button is pressed.
  const t0 = Date.now();
  await expect(exercise).toHaveAttribute('data-state', 'passed', { timeout: 15_000 });
  console.log(`swarm-active turned green ${Date.now() - t0} ms after "Swarm initialized" appeared`);
});

test('a Run button sends its command to the terminal of its node', async ({ page }) => {
  await gotoSteadily(page, '/lessons/self-healing');
  // Pressed right after the page loads, without waiting for the cluster or any terminal:
  // the command must still arrive once, in the worker's shell, as soon as that shell exists.
  const command = page.locator('[data-command-node="worker-1"]').filter({ has: page.locator('code', { hasText: /^docker ps$/ }) }).first();
  const status = await page.evaluate(() => document.querySelector('[data-sandbox-status]')?.getAttribute('data-sandbox-status') ?? 'no workbench yet');
  await command.getByRole('button', { name: /^Run/ }).click();
  console.log(`Run pressed while the workbench status was: ${status}`);
  await expect(terminalTab(page, 'worker-1')).toHaveAttribute('aria-selected', 'true');
  const worker = terminalScreen(page, 'worker-1');
  await expect(worker).toContainText('CONTAINER ID', { timeout: 60_000 });
  // Each tab shows its own shell (two tabs opening at once must not share a channel)...
  await expect(worker).toContainText('root@worker-1');
  await expect(worker).not.toContainText('root@manager');
  await expect(terminalScreen(page, 'manager')).toContainText('root@manager');
  await expect(terminalScreen(page, 'manager')).not.toContainText('CONTAINER ID');
  // ...and the command ran exactly once: a marker typed afterwards comes after a single output.
  await typeCommand(page, 'worker-1', 'echo marker-$((6*7))');
  await expect(worker).toContainText('marker-42');
  expect((await worker.textContent())!.split('CONTAINER ID').length - 1, 'docker ps ran once').toBe(1);
});

test('edit init.sql in the editor right away, save, and read it back on every node', async ({ page }) => {
  // A slow node: the editor's read of init.sql is answered only after the learner has typed
  // and pressed Save, so this always covers edits made before the node's copy arrives.
  let answerRead!: () => void;
  const readHeld = new Promise<void>((resolve) => (answerRead = resolve));
  await page.route('**/files/init.sql', async (route) => {
    if (route.request().method() === 'GET') await readHeld;
    await route.continue();
  });
  await gotoSteadily(page, '/lessons/database-service');
  // The learner's first action (a click in the terminal) starts the sandbox; the node's copy of the
  // file is still held back until after Save, so the edit below is made before it arrives.
  await terminalScreen(page, 'manager').click({ force: true });
  await page.locator('[role="tab"][data-tab="editor"]').click();
  await page.getByRole('tab', { name: /init\.sql/ }).click();
  const editor = page.locator('.monaco-editor').first();
  await expect(editor).toBeVisible({ timeout: 60_000 });
  await expect(editor).toContainText('CREATE TABLE');
  // Typed as soon as the editor is on screen, without waiting for the cluster or the node's copy.
  // force: the click is also the learner's first action, and the sandbox's start-up keeps the
  // workbench moving, so Playwright's "stable" wait can time out on a loaded machine.
  await editor.click({ force: true });
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type("INSERT INTO messages (body) VALUES ('edited in the browser');\n");
  await expect(editor).toContainText("VALUES ('edited in the browser');");
  await expect(page.getByRole('tab', { name: /init\.sql/ })).toContainText('●'); // unsaved
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saving to every node as soon as your cluster is ready' })).toBeVisible();
  answerRead();
  await expect(page.getByText('Saved init.sql to every node.')).toBeVisible({ timeout: 60_000 });
  // The learner's text survived the node's copy arriving, and is what was saved.
  await expect(editor).toContainText("VALUES ('edited in the browser');");
  await expect(editor).not.toContainText('CREATE TABLE');
  for (const node of ['manager', 'worker-1', 'worker-2']) {
    await openTerminal(page, node);
    await typeCommand(page, node, 'cat /lab/init.sql');
    await expect(terminalScreen(page, node)).toContainText("VALUES ('edited in the browser');");
    await expect(terminalScreen(page, node)).not.toContainText('CREATE TABLE');
  }
});

test('a reload comes back to the same shell with its scrollback', async ({ page }) => {
  await gotoSteadily(page, '/lessons/initialise-the-swarm');
  await openTerminal(page, 'manager');
  await typeCommand(page, 'manager', 'export KEEP=$((20+22)); echo "pid=$$ keep=$KEEP"');
  const screen = terminalScreen(page, 'manager');
  await expect(screen).toContainText(/pid=\d+ keep=42/);
  const pid = (await screen.textContent())!.match(/pid=(\d+) keep=42/)![1];
  await page.reload();
  await expect(terminalScreen(page, 'manager')).toContainText(`pid=${pid} keep=42`, { timeout: 60_000 });
  await typeCommand(page, 'manager', 'echo "again=$$ $KEEP"');
  await expect(terminalScreen(page, 'manager')).toContainText(`again=${pid} 42`);
});

test.describe('on a phone-sized screen', () => {
  test.use({ viewport: { width: 390, height: 844 } });
  test('the lesson and the terminal still work', async ({ page }) => {
    await gotoSteadily(page, '/lessons/initialise-the-swarm');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'no horizontal scrolling').toBeLessThanOrEqual(1);
    await terminalTab(page, 'manager').scrollIntoViewIfNeeded();
    await openTerminal(page, 'manager');
    await typeCommand(page, 'manager', 'echo narrow-$((6*7))');
    await expect(terminalScreen(page, 'manager')).toContainText('narrow-42');
  });
});
