// A lock file shared by processes on one machine (the sandbox server, `npm test`, the CLI), so two
// of them never start the learner engine, build the same image or seed the same mirror at once.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export async function withLock<T>(lock: string, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // Written aside and hard-linked into place: the lock appears atomically, already holding our pid.
  const mine = `${lock}.${randomUUID()}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    for (;;) {
      try {
        await link(mine, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        // A holder that died (crash, kill -9) leaves the file behind: take it over.
        if (!holder || !existsSync(`/proc/${holder}`)) await rm(lock, { force: true });
        else if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder} for too long`);
        else await sleep(200);
      }
    }
  } finally {
    await rm(mine, { force: true });
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
