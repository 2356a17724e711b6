/**
 * Specs that need a server of their own (their own port, instance and settings, so what they count
 * belongs to them alone) start `npm start`'s script beside the shared e2e server, and stop it after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { expect } from '@playwright/test';
import { removeInstance } from '../helpers/server.ts';

export interface OwnServer {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start scripts/start.ts on `port` as `instance` (data in .data/<instance>) with these settings. */
export async function startOwnServer(port: number, instance: string, env: Record<string, string>): Promise<OwnServer> {
  const dataDir = `.data/${instance}`;
  fs.rmSync(dataDir, { recursive: true, force: true });
  await removeInstance(instance);
  const child = spawn('npx', ['tsx', 'scripts/start.ts'], {
    detached: true, // its own process group, so stop() reaches tsx's child too
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PORT: String(port), SWB_INSTANCE: instance, SWB_DATA_DIR: dataDir, ...env },
  });
  return {
    child,
    async stop() {
      if (child.pid && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
      // The server's own shutdown may still be removing its warm cluster: retry until nothing is left.
      await expect.poll(() => removeInstance(instance).then(() => true, () => false), { timeout: 60_000 }).toBe(true);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
