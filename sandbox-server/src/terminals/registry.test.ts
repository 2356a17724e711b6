/**
 * Run: node --import tsx --test sandbox-server/src/terminals/registry.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TerminalSet, TooManyTerminals } from './registry.ts';
import type { TerminalSession } from './terminal.ts';

function fakeShell(node: string) {
  const shell = {
    node,
    exited: false,
    closed: false,
    everWatched: true,
    viewerCount: 0,
    lastActivity: 0,
    onGone: undefined as (() => void) | undefined,
    close() {
      shell.closed = true;
      shell.onGone?.();
    },
  };
  return shell;
}

test('past the cap a new id is refused; the same id reuses its shell; a closed shell frees its place', async () => {
  const set = new TerminalSet({ max: 3, idleMs: 60_000 });
  const shells: ReturnType<typeof fakeShell>[] = [];
  const start = (node: string) => async () => {
    const s = fakeShell(node);
    shells.push(s);
    return s as unknown as TerminalSession;
  };
  for (let i = 0; i < 3; i++) await set.get(`t${i}`, 'manager', start('manager'));
  await assert.rejects(set.get('t3', 'manager', start('manager')), TooManyTerminals);
  await assert.rejects(set.get('t4', 'manager', start('manager')), /already has 3 shells open/);
  assert.equal(shells.length, 3, 'no shell started past the cap');
  assert.equal(await set.get('t1', 'manager', start('manager')), shells[1], 'the same id gets the same shell');
  shells[0]!.close();
  assert.equal(set.size, 2);
  await set.get('t5', 'manager', start('manager'));
  assert.equal(set.size, 3);
  set.closeAll();
  await new Promise((r) => setImmediate(r));
  assert.ok(shells.every((s) => s.closed), 'closing the cluster closes every shell');
  assert.equal(set.size, 0);
});

test('the sweep closes shells nobody watches that were idle, and never a warm one nobody opened yet', async () => {
  const set = new TerminalSet({ max: 10, idleMs: 1_000 });
  const idle = fakeShell('manager');
  const watched = Object.assign(fakeShell('manager'), { viewerCount: 1 });
  const warm = Object.assign(fakeShell('manager'), { everWatched: false });
  const busy = Object.assign(fakeShell('manager'), { lastActivity: 9_500 });
  for (const [id, s] of Object.entries({ idle, watched, warm, busy })) await set.get(id, 'manager', async () => s as unknown as TerminalSession);
  assert.equal(set.sweep(10_000), 1);
  assert.ok(idle.closed && !watched.closed && !warm.closed && !busy.closed);
  assert.equal(set.size, 3);
  set.closeAll();
});
