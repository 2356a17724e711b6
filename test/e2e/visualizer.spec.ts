/**
 * The cluster panel in the real UI: a swarm built by typing, its tasks drawn under their nodes,
 * a scale-down seen within seconds, the same facts in the table view, and a port badge that
 * opens the published app through the server's port preview. The preview runs in an opaque origin:
 * the app renders and talks to its own API, but it cannot use the learner's session.
 */
import { expect, test, type Page } from '@playwright/test';
import { INNER_DOCKER_PORT } from '../../sandbox-server/src/engine/inner-api.ts';
import { openTerminal, typeCommand } from './terminal.ts';
import { gotoSteadily } from './navigation.ts';


/** What a script inside `page` can do with our origin: the cookie, storage, cookie-authenticated /sandbox APIs. */
function probeOurOrigin(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const out: Record<string, string> = { origin: String(self.origin) };
    try {
      out.cookie = `readable: "${document.cookie}"`;
    } catch (err) {
      out.cookie = `threw ${(err as Error).name}`;
    }
    try {
      out.storage = `readable: ${localStorage.length} keys`;
    } catch (err) {
      out.storage = `threw ${(err as Error).name}`;
    }
    const calls: Array<[string, RequestInit]> = [
      ['/sandbox/files', {}],
      ['/sandbox/session', { method: 'POST' }],
    ];
    for (const [url, init] of calls) {
      try {
        const res = await fetch(url, { ...init, credentials: 'include' });
        out[url] = `HTTP ${res.status}`;
      } catch {
        out[url] = 'blocked';
      }
    }
    return out;
  });
}

test('the Cluster tab draws the swarm live and the port badge opens the app', async ({ page }) => {
  await gotoSteadily(page, '/lessons/visualizer');
  await openTerminal(page, 'manager');
  // Workers join through their own engines (reachable on the cluster network), so one shell does it all.
  await typeCommand(
    page,
    'manager',
    `docker swarm init >/dev/null && for w in worker-1 worker-2; do docker -H $w:${INNER_DOCKER_PORT} swarm join --token $(docker swarm join-token -q worker) manager:2377; done && ` +
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
  // The badge's address led to a capability address for this port, served in an opaque origin.
  expect(app.url()).toMatch(/\/sandbox\/preview\/[0-9a-f]+\/(manager|worker-\d)\/5000~[0-9a-z]+\.[\w-]+\/$/);
  await app.close();

  // Scaling down removes boxes within seconds, without a reload.
  await page.locator('[role="tab"][data-node="manager"]').click();
  await typeCommand(page, 'manager', 'docker service scale -d web=1');
  await page.locator('[role="tab"][data-tab="cluster"]').click();
  await expect(panel.locator('li[data-task^="web."]')).toHaveCount(1, { timeout: 5_000 });
  await page.screenshot({ path: test.info().outputPath('cluster-scaled.png') });
});

test('a preview renders its app but its scripts cannot act as the workbench', async ({ page }) => {
  await gotoSteadily(page, '/lessons/visualizer');
  await openTerminal(page, 'manager');
  // The seed's visualizer (the offline stand-in: a JS page that reads its own API), published on the manager.
  await typeCommand(
    page,
    'manager',
    'docker swarm init >/dev/null && docker service create -d --name viz --publish mode=host,published=8080,target=8080 --constraint node.role==manager ' +
      '--mount type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock dockersamples/visualizer',
  );
  // Baseline: the workbench's own scripts do reach the cookie-authenticated API.
  const mine = await probeOurOrigin(page);
  expect(mine['/sandbox/files']).toBe('HTTP 200');

  await page.locator('[role="tab"][data-tab="cluster"]').click();
  const badge = page.locator('nav[aria-label="Published ports"] a[data-port="8080"]').first();
  await expect(badge).toBeVisible({ timeout: 90_000 });
  const [viz] = await Promise.all([page.waitForEvent('popup'), badge.click()]);
  // Every request the preview sends to /sandbox outside the preview, with the headers as sent (cookies included).
  const sent: Array<{ url: string; headers: Record<string, string> }> = [];
  viz.on('request', (req) => {
    if (new URL(req.url()).pathname.startsWith('/sandbox/') && !req.url().includes('/sandbox/preview/')) {
      void req.allHeaders().then((headers) => sent.push({ url: req.url(), headers }));
    }
  });
  // The stand-in renders and keeps reading its own API (cross-origin from its opaque origin now).
  await expect(viz.locator('h1')).toHaveText('Swarm visualizer');
  await expect(viz.locator('#summary')).toContainText(/1 node, 1 service, 1\/1 tasks running/, { timeout: 60_000 });
  await viz.screenshot({ path: test.info().outputPath('preview-visualizer.png') });

  const theirs = await probeOurOrigin(viz);
  console.log(`# inside the preview: ${JSON.stringify(theirs)}`);
  expect(theirs.origin).toBe('null');
  expect(theirs.cookie).toMatch(/^threw|^readable: ""$/);
  expect(theirs.storage).toMatch(/^threw/);
  expect(theirs['/sandbox/files']).toBe('blocked');
  expect(theirs['/sandbox/session']).toBe('blocked');
  // Not only unreadable: the requests left the browser without the session cookie, and said Origin: null.
  await expect.poll(() => sent.filter((r) => /\/sandbox\/(files|session)$/.test(new URL(r.url).pathname)).length).toBeGreaterThanOrEqual(2);
  for (const r of sent) {
    expect(r.headers.cookie ?? '', r.url).not.toContain('swb_session');
    expect(r.headers.origin ?? 'null', r.url).toBe('null');
  }
  // The app's page still works after the probe: the picture keeps updating.
  await expect(viz.locator('#summary')).toContainText('1 node');
  await viz.close();
});

test("the picture highlights the service of the exercise the learner is on", async ({ page }) => {
  await gotoSteadily(page, '/lessons/database-service');
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
