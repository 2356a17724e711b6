/**
 * A server restart in the middle of a workshop, in the browser: the learner's
 * pass is on the dashboard, the server stops (SIGTERM, clusters kept) and
 * starts again, the instructor's dashboard comes back with the progress, and
 * the learner's open page reconnects to the same cluster and shell.
 *
 * This test runs its own `npm start` server (scripts/start.ts) on its own
 * port and instance, because Playwright's shared web server cannot restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { E2E_INSTANCE, E2E_PORT } from '../../playwright.config.ts';
import { removeInstance } from '../helpers/server.ts';
import { openTerminal, terminalScreen, typeCommand } from './terminal.ts';
import { gotoSteadily } from './navigation.ts';

const PORT = E2E_PORT + 5;
const INSTANCE = `${E2E_INSTANCE}-rs`;
const DATA_DIR = `.data/${INSTANCE}`;
const BASE = `http://127.0.0.1:${PORT}`;
const LESSON = 'initialise-the-swarm';

let server: ChildProcess | undefined;
/** What `npm start` printed: the operator copies the instructor link from here. */
let printed = '';

async function startServer(): Promise<void> {
  printed = '';
  server = spawn('npx', ['tsx', 'scripts/start.ts'], {
    detached: true, // its own process group, so the stop below reaches tsx's child too
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PORT: String(PORT), SWB_INSTANCE: INSTANCE, SWB_DATA_DIR: DATA_DIR, SWB_POOL_SIZE: '0', SWB_LOG_LEVEL: 'warn' },
  });
  server.stdout!.on('data', (c: Buffer) => (printed += c.toString('utf8')));
  await expect
    .poll(async () => (await fetch(`${BASE}/sandbox/health`).catch(() => undefined))?.status, { timeout: 180_000, intervals: [250] })
    .toBe(200);
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

test.beforeAll(async () => {
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  await removeInstance(INSTANCE);
});
test.afterAll(async () => {
  await stopServer();
  await removeInstance(INSTANCE);
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
});

test('a server restart mid-workshop: the dashboard comes back with all progress, the learner with their shell', async ({ browser }) => {
  test.setTimeout(300_000);
  await startServer();
  const instructorContext = await browser.newContext({ baseURL: BASE });
  // No SWB_ADMIN_TOKEN here: the server generated an instructor key and printed the link, as for an operator's first start.
  await expect.poll(() => /workshops\/new#key=(\S+)/.exec(printed)?.[1], { timeout: 30_000 }).toBeTruthy();
  const key = decodeURIComponent(/workshops\/new#key=(\S+)/.exec(printed)![1]!);
  const res = await instructorContext.request.post('/sandbox/workshops', {
    data: { title: 'Restart drill', lessons: [LESSON], capacity: 1 },
    headers: { Authorization: `Bearer ${key}` },
  });
  expect(res.status()).toBe(201);
  const ws = (await res.json()) as { joinCode: string; instructorUrl: string };
  const instructor = await instructorContext.newPage();
  expect(ws.instructorUrl, 'the key rides in the fragment, never sent to a server').toContain('#key=');
  await gotoSteadily(instructor, ws.instructorUrl);

  const ada = await (await browser.newContext({ baseURL: BASE })).newPage();
  await gotoSteadily(ada, `/join/${ws.joinCode}`);
  await ada.getByLabel(/Your name/).fill('Ada');
  await ada.getByRole('button', { name: 'Join the workshop' }).click();
  await expect(ada).toHaveURL(new RegExp(`/lessons/${LESSON}$`));
  await openTerminal(ada, 'manager');
  await typeCommand(ada, 'manager', 'docker swarm init');
  const cell = instructor.locator(`tr[data-learner="Ada"] td[data-exercise="${LESSON}/swarm-active"]`);
  await expect(cell).toHaveAttribute('data-state', 'passed', { timeout: 60_000 });

  await stopServer();
  await startServer();

  // A fresh load of the dashboard (the instructor cookie still works) shows the progress from before.
  await instructor.reload();
  await expect(cell).toHaveAttribute('data-state', 'passed');
  await expect(instructor.locator('tr[data-learner="Ada"] [data-health]'), "Ada's cluster was adopted, not replaced").toHaveAttribute('data-health', 'ready');

  // Ada's page, never reloaded, reconnects to the same swarm manager (typing while it is still reconnecting may be lost: retype).
  await expect(async () => {
    await typeCommand(ada, 'manager', "docker info --format 'swarm is {{.Swarm.LocalNodeState}}'");
    await expect(terminalScreen(ada, 'manager')).toContainText('swarm is active', { timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
});
