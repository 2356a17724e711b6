/**
 * A network change (a bridge appearing on this host, Wi-Fi switching on a learner's laptop) makes
 * Chromium drop requests in flight. The workbench's code arrives after the page: when its chunks
 * are dropped, the page must try again, not show "Loading the workbench…" forever.
 */
import { expect, test } from '@playwright/test';
import { terminalScreen } from './terminal.ts';

test('the workbench still loads when the browser drops its code twice (a network change)', async ({ page, request }) => {
  const lesson = '/lessons/initialise-the-swarm';
  // Chunks named in the page itself load as plain script tags; the workbench's come after, on demand.
  const html = await (await request.get(lesson)).text();
  const inPage = new Set([...html.matchAll(/\/_next\/static\/chunks\/[^"'\s\\]+\.js/g)].map((m) => m[0]));
  const dropped = new Map<string, number>();
  await page.route('**/_next/static/chunks/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    const times = dropped.get(path) ?? 0;
    if (!path.endsWith('.js') || inPage.has(path) || times >= 2) return route.continue();
    dropped.set(path, times + 1); // twice: the bundler itself retries a chunk once
    await route.abort('internetdisconnected');
  });
  await page.goto(lesson);
  await expect(terminalScreen(page, 'manager')).toBeVisible({ timeout: 60_000 });
  expect(dropped.size, 'the workbench\'s own chunks were dropped on the way').toBeGreaterThan(0);
  await expect(page.getByText('Loading the workbench…')).toBeHidden();
});
