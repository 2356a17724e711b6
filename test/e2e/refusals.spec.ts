/**
 * What a hostile learner meets must still be clear to an honest one (issue 18): the server's
 * refusals reach the learner in words, with what to do, and the page does not hammer the server.
 *
 * - A tab too many (closeCodes.tooManySockets): the page says so and does not reconnect by itself;
 *   Retry works once a socket is free.
 * - A claim refused with 429 and Retry-After: the server's words and "try again in N s", and Start
 *   stays usable.
 * - A page view whose new session is refused with 429 waits out Retry-After and connects by itself.
 *
 * - A shell that reads nothing while a paste floods it (closeCodes.inputStalled): the page says what
 *   happened and reconnects once, with the shell's output still there; the second time soon after,
 *   it stops and asks instead of looping.
 *
 * Runs its own `npm start` server on its own port and instance: no warm pool, one manager-only
 * cluster (the input-stall test's), one sandbox per network (so the next claim is refused), and new
 * sessions come back one per 10 s (SWB_NEW_SESSIONS_PER_NETWORK=60 per 10 min).
 */
import fs from 'node:fs';
import { expect, test, type Browser, type Page } from '@playwright/test';
import WebSocket from 'ws';
import { closeCodes, paths } from '@contract/protocol.ts';
import { lessonFiles } from '@contract/lesson-file.ts';
import { E2E_INSTANCE, E2E_PORT } from '../../playwright.config.ts';
import { gotoSteadily } from './navigation.ts';
import { startOwnServer, type OwnServer } from './own-server.ts';
import { openTerminal, terminalScreen, typeCommand } from './terminal.ts';

const PORT = E2E_PORT + 8;
const INSTANCE = `${E2E_INSTANCE}-rf`;
const BASE = `http://127.0.0.1:${PORT}`;
const LESSON = lessonFiles(fs.readdirSync('content/lessons')).map((f) => f.slug)[1]!;

let server: OwnServer | undefined;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000); // the web app may be built first
  server = await startOwnServer(PORT, INSTANCE, {
    SWB_POOL_SIZE: '0',
    SWB_WORKERS: '0',
    SWB_LOG_LEVEL: 'error',
    // One sandbox per network: the input-stall test's learner holds it, so the next claim is refused.
    SWB_ANON_PER_ADDRESS: '1',
    SWB_ANON_SHARE: '100',
    SWB_NEW_SESSIONS_PER_NETWORK: '60',
  });
  await expect.poll(async () => (await fetch(`${BASE}${paths.health}`).catch(() => undefined))?.status, { timeout: 280_000, intervals: [500] }).toBe(200);
});

test.afterAll(async () => {
  await server?.stop();
  server = undefined;
});


const statusLine = (page: Page) => page.locator('[data-sandbox-status]');
const statusText = (page: Page) => statusLine(page).getByRole('status');

async function newLearnerPage(browser: Browser): Promise<Page> {
  return (await browser.newContext({ baseURL: BASE })).newPage();
}

/** The sandbox sockets a page opens, counted as the browser opens them. */
function countSandboxSockets(page: Page): () => number {
  let n = 0;
  page.on('websocket', (ws) => {
    if (new URL(ws.url()).pathname === paths.ws) n++;
  });
  return () => n;
}

/**
 * One more socket of the session, from outside the browser (as more tabs would be): 'accepted'
 * once the server sends its first message, or the close code it refused the socket with.
 */
function openSessionSocket(cookie: string): Promise<{ ws: WebSocket; outcome: 'accepted' | number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}${paths.ws}`, { headers: { cookie } });
  return new Promise((resolve, reject) => {
    ws.once('message', () => resolve({ ws, outcome: 'accepted' }));
    ws.once('close', (code) => resolve({ ws, outcome: code }));
    ws.once('error', reject);
  });
}

test('a tab too many is told to close one, is not reconnected by itself, and Retry works once one is closed', async ({ browser }) => {
  const first = await newLearnerPage(browser);
  await gotoSteadily(first, `/lessons/${LESSON}`);
  await expect(statusLine(first)).toHaveAttribute('data-sandbox-status', 'unclaimed', { timeout: 90_000 });
  const context = first.context();
  const cookie = (await context.cookies(BASE)).map((c) => `${c.name}=${c.value}`).join('; ');

  // Fill the session's sockets as more tabs would, until the server refuses one.
  const others: WebSocket[] = [];
  let refusedWith: number | undefined;
  for (let i = 0; i < 40 && refusedWith === undefined; i++) {
    const { ws, outcome } = await openSessionSocket(cookie);
    if (outcome === 'accepted') others.push(ws);
    else refusedWith = outcome;
  }
  expect(refusedWith, 'the server refuses a socket past the cap').toBe(closeCodes.tooManySockets);
  console.log(`the session held ${others.length + 1} sockets (the page's and ${others.length} more) before a refusal`);

  // The next tab of this learner: its socket is refused.
  const extra = await context.newPage();
  const sockets = countSandboxSockets(extra);
  await gotoSteadily(extra, `/lessons/${LESSON}`);
  await expect(statusLine(extra)).toHaveAttribute('data-sandbox-status', 'stopped', { timeout: 90_000 });
  await expect(statusText(extra)).toContainText(/too many tabs or windows of this workbench are open/i);
  await expect(statusText(extra)).toContainText(/close a tab/i);
  // It stays that way: no reconnect by itself (the backoff would have tried several times in 8 s),
  // not even when the tab becomes visible again or the network comes back.
  await extra.evaluate(() => {
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('online'));
  });
  await extra.waitForTimeout(8_000);
  expect(sockets(), 'the refused tab opened one sandbox socket').toBe(1);
  await expect(statusLine(extra)).toHaveAttribute('data-sandbox-status', 'stopped');
  // The first tab is unaffected.
  await expect(statusLine(first)).toHaveAttribute('data-sandbox-status', 'unclaimed');

  // The learner closes a tab and presses Retry: this one connects.
  const closing = others.pop()!;
  await new Promise((resolve) => (closing.once('close', resolve), closing.close()));
  await extra.waitForTimeout(500); // the server counts the socket gone when its close handshake ends
  await extra.getByRole('button', { name: 'Retry' }).click();
  await expect(statusLine(extra)).toHaveAttribute('data-sandbox-status', 'unclaimed', { timeout: 30_000 });
  expect(sockets()).toBe(2);
  for (const ws of others) ws.close();
  await context.close();
});

test('a shell that reads nothing: the page says so and reconnects once, and stops when it happens again soon', async ({ browser }) => {
  test.setTimeout(300_000); // a cold cluster, then the server's 30 s stall deadline twice
  const page = await newLearnerPage(browser);
  const sockets = countSandboxSockets(page);
  await gotoSteadily(page, `/lessons/${LESSON}`);
  await openTerminal(page, 'manager'); // the learner's first action: their cluster starts
  // A program that takes no input, in raw mode (no line discipline to drop the excess), as in abuse.test.ts.
  await typeCommand(page, 'manager', 'echo marker-$((6*7)); stty raw -echo; sleep 600');
  await expect(terminalScreen(page, 'manager')).toContainText('marker-42');
  await page.waitForTimeout(500); // the line must reach bash before the paste
  // A big paste into it: the server stops reading the socket, and after 30 s without progress closes it.
  await page.keyboard.insertText('x'.repeat(1024 * 1024));
  await expect(statusText(page)).toContainText(/Your shell stopped reading what you typed or pasted/, { timeout: 90_000 });
  await expect(statusText(page)).toContainText(/Nothing else is lost/);
  // Reconnected by itself, once, and the shell's output is still there.
  await expect(statusText(page)).toContainText(/Reconnected\./, { timeout: 30_000 });
  expect(sockets()).toBe(2);
  await expect(terminalScreen(page, 'manager')).toContainText('marker-42');

  // The server dropped what was queued (a key would go through now); the same paste again, soon: now the page stops.
  await terminalScreen(page, 'manager').click();
  await page.keyboard.insertText('y'.repeat(1024 * 1024));
  await expect(statusLine(page)).toHaveAttribute('data-sandbox-status', 'stopped', { timeout: 90_000 });
  await expect(statusText(page)).toContainText(/It happened again soon after reconnecting/);
  await page.waitForTimeout(5_000);
  expect(sockets(), 'no reconnect loop').toBe(2);
  // The learner decides: Reconnect brings the page back (the shell is still the same one).
  await statusLine(page).getByRole('button', { name: 'Reconnect' }).click();
  await expect(statusLine(page)).toHaveAttribute('data-sandbox-status', 'ready', { timeout: 30_000 });
  expect(sockets()).toBe(3);
  // The session keeps its cluster (the next test's claim from this network is refused because of it).
  await page.context().close();
});

test('a refused claim shows the server words and when to try again, and Start stays usable', async ({ browser }) => {
  const page = await newLearnerPage(browser);
  let claims = 0;
  page.on('request', (req) => {
    if (new URL(req.url()).pathname === paths.claim) claims++;
  });
  await gotoSteadily(page, `/lessons/${LESSON}`);
  await expect(statusLine(page)).toHaveAttribute('data-sandbox-status', 'unclaimed', { timeout: 90_000 });
  const start = statusLine(page).getByRole('button', { name: 'Start sandbox' });
  await start.click();
  // The server's words (the input-stall test's learner holds this network's one sandbox) and its Retry-After (60 s), counting down.
  await expect(statusText(page)).toContainText(/allows 1 sandbox per network at once/, { timeout: 30_000 });
  await expect(statusText(page)).toContainText(/Try again in (60|5\d) s\./);
  await expect(start).toBeEnabled();
  expect(claims).toBe(1);
  // Start still asks the server (the learner decides when), and the answer is shown again.
  await start.click();
  await expect.poll(() => claims).toBe(2);
  await expect(statusText(page)).toContainText(/allows 1 sandbox per network at once.*Try again in \d+ s\./);
  await expect(start).toBeEnabled();
  await page.context().close();
});

test('a page view refused a new session (429) waits out Retry-After and connects by itself', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await newLearnerPage(browser);
  const answers: number[] = [];
  page.on('response', (res) => {
    if (new URL(res.url()).pathname === paths.session) answers.push(res.status());
  });
  // The page's first ask for a session is held until this network's budget of new sessions is spent
  // (as a flood from the same network would spend it), so it meets the 429 however slowly it loads.
  let retryAfter: string | null = null;
  await page.route(`**${paths.session}`, async (route) => {
    for (let i = 0; i < 200 && retryAfter === null; i++) {
      const res = await fetch(`${BASE}${paths.session}`, { method: 'POST' });
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    await route.continue();
  });
  await gotoSteadily(page, `/lessons/${LESSON}`);
  await expect.poll(() => answers[0], { timeout: 60_000 }).toBe(429);
  expect(Number(retryAfter), 'the server sent a Retry-After with its 429').toBeGreaterThan(0);
  // The server's words and the wait it asked for, not "unreachable".
  await expect(statusText(page)).toContainText(/Too many new sessions from your network/);
  await expect(statusText(page)).toContainText(/Trying again in \d+ s/);
  await expect(statusText(page)).not.toContainText(/unreachable/i);
  // Then, without the learner doing anything, the page has its session.
  await expect(statusLine(page)).toHaveAttribute('data-sandbox-status', 'unclaimed', { timeout: 120_000 });
  console.log(`session answers the page met: ${answers.join(', ')} (Retry-After: ${retryAfter} s)`);
  expect(answers.at(-1)).toBe(200);
  expect(answers.length, 'one ask per Retry-After, not a backoff hammering').toBeLessThanOrEqual(3);
  await page.context().close();
});
