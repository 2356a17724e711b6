/**
 * The cluster panel in the real UI: a swarm built by typing, its tasks drawn under their nodes,
 * a scale-down seen within seconds, the same facts in the table view, and a port badge that
 * opens the published app through the server's port preview.
 */
import { expect, test } from '@playwright/test';
import { openTerminal, typeCommand } from './terminal';

test('the Cluster tab draws the swarm live and the port badge opens the app', async ({ page }) => {
  await page.goto('/lessons/visualizer');
  await openTerminal(page, 'manager');
  // Workers join through their own engines (reachable on the cluster network), so one shell does it all.
  await typeCommand(
    page,
    'manager',
    'docker swarm init >/dev/null && for w in worker-1 worker-2; do docker -H $w:2375 swarm join --token $(docker swarm join-token -q worker) manager:2377; done && ' +
      'docker service create -d --name web --replicas 3 --endpoint-mode dnsrr --publish mode=host,published=5000,target=5000 flask_app:3.0',
  );

  await page.locator('[role="tab"][data-tab="cluster"]').click();
  const panel = page.locator('#wb-panel-cluster');
  for (const node of ['manager', 'worker-1', 'worker-2']) await expect(panel.locator(`section[data-node="${node}"]`)).toBeVisible({ timeout: 60_000 });
  const running = panel.locator('li[data-task^="web."][data-state="running"]');
  await expect(running).toHaveCount(3, { timeout: 90_000 });
  // Spread: with a host-mode port each node can run one replica only.
  for (const node of ['manager', 'worker-1', 'worker-2']) await expect(panel.locator(`section[data-node="${node}"] li[data-task^="web."]`)).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('cluster-3-replicas.png') });

  // The table view carries the same facts, reachable by keyboard.
  await panel.getByRole('button', { name: 'Table' }).focus();
  await page.keyboard.press('Enter');
  const tasks = panel.getByRole('table', { name: 'Tasks' });
  await expect(tasks.locator('tbody tr')).toHaveCount(3);
  await expect(panel.getByRole('table', { name: 'Nodes' }).locator('tbody tr')).toHaveCount(3);
  await panel.getByRole('button', { name: 'Picture' }).click();

  // A published port becomes a badge; it opens the app through /sandbox/preview/...
  const badge = page.locator('nav[aria-label="Published ports"] a[data-port="5000"]').first();
  await expect(badge).toBeVisible();
  expect(await badge.getAttribute('href')).toMatch(/^\/sandbox\/preview\/[0-9a-f]+\/(manager|worker-\d)\/5000\/$/);
  const [app] = await Promise.all([page.waitForEvent('popup'), badge.click()]);
  await expect(app.locator('h1')).toContainText('Flask app');
  await app.close();

  // Scaling down removes boxes within seconds, without a reload.
  await page.locator('[role="tab"][data-node="manager"]').click();
  await typeCommand(page, 'manager', 'docker service scale -d web=1');
  await page.locator('[role="tab"][data-tab="cluster"]').click();
  await expect(panel.locator('li[data-task^="web."]')).toHaveCount(1, { timeout: 5_000 });
  await page.screenshot({ path: test.info().outputPath('cluster-scaled.png') });
});

test("the picture highlights the service of the exercise the learner is on", async ({ page }) => {
  await page.goto('/lessons/database-service');
  await openTerminal(page, 'manager');
  // Named like the exercise's service, but not what it asks for: the check stays pending.
  await typeCommand(page, 'manager', 'docker swarm init >/dev/null; docker service create -d --name database --endpoint-mode dnsrr flask_app:3.0');
  await page.locator('[role="tab"][data-tab="cluster"]').click();
  const panel = page.locator('#wb-panel-cluster');
  await expect(panel.locator('li[data-task="database.1"][data-focus]')).toBeVisible({ timeout: 60_000 });
  await expect(panel.locator('[data-focus-note]')).toContainText('database');
  await expect(panel.locator('[data-focus-note]')).toContainText('exercise 1');
  await page.screenshot({ path: test.info().outputPath('cluster-focus.png') });
});
