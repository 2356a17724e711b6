/**
 * Browser tests drive the real UI in Debian's Chromium against the real stack
 * (`scripts/start.ts`: web app + sandbox on one port, real clusters).
 */
import { defineConfig } from '@playwright/test';

export const E2E_PORT = Number(process.env.SWB_E2E_PORT ?? 3900);
export const E2E_INSTANCE = process.env.SWB_E2E_INSTANCE ?? 'e2e';
/** The instructor key the e2e server is given, as an operator would give it (tests create workshops with it). */
export const E2E_ADMIN_TOKEN = process.env.SWB_E2E_ADMIN_TOKEN ?? `e2e-instructor-key-${E2E_INSTANCE}`;

export default defineConfig({
  testDir: 'test/e2e',
  // Every test starts a real cluster on a shared two-core machine: a page that loads in a second
  // when idle can take a minute under load. The deadline only bounds a failure.
  timeout: 300_000,
  expect: { timeout: 30_000 },
  workers: 2,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  globalTeardown: './test/e2e/teardown.ts',
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    screenshot: 'only-on-failure',
    // A failed test keeps its trace (DOM snapshots, actions, network, console) but no screencast: filming
    // every test cost Chromium ~40 % more CPU on two cores (a failure still gets its screenshot).
    trace: { mode: 'retain-on-failure', screenshots: false },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: 'npx tsx scripts/start.ts',
    url: `http://127.0.0.1:${E2E_PORT}/sandbox/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(E2E_PORT),
      SWB_INSTANCE: E2E_INSTANCE,
      SWB_POOL_SIZE: '2',
      // Each warm cluster (one per claim, nearly every test) would pull the lab image into all three nodes
      // first: CPU beside the browsers on two cores, for specs that never scale a service out.
      SWB_PRELOAD_IMAGES: 'none',
      // A finished test's browser is gone: its cluster is reaped a minute later instead of idling beside
      // the next tests on two shared cores (workshop learners are pinned; reloads reconnect in seconds).
      SWB_IDLE_TTL_MIN: '1',
      SWB_DATA_DIR: `.data/${E2E_INSTANCE}`,
      SWB_LOG_LEVEL: 'warn',
      SWB_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      // Every browser of these tests comes from 127.0.0.1: to this server they are many learners, not one
      // network (the per-network limit and the visitors' share are proven by admission.test.ts and claim.spec.ts).
      SWB_ANON_PER_ADDRESS: '1000',
      SWB_NEW_SESSIONS_PER_NETWORK: '100000',
      SWB_ANON_SHARE: '100',
    },
  },
});
