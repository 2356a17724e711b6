/**
 * retryUntil asks until the answer is good, and gives the last answer back at the deadline.
 * Run: node --import tsx --test sandbox-server/src/retry.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { retryUntil } from './retry.ts';

test('asks again until the answer is good, and not once more', async () => {
  let calls = 0;
  const answer = await retryUntil(() => ++calls, (n) => n >= 3, { everyMs: 1, deadline: Date.now() + 5_000 });
  assert.equal(answer, 3);
  assert.equal(calls, 3);
});

test('a good first answer costs no wait; past the deadline the last answer comes back', async () => {
  const t0 = Date.now();
  assert.equal(await retryUntil(async () => 'ready', (s) => s === 'ready', { everyMs: 10_000, deadline: t0 + 60_000 }), 'ready');
  assert.ok(Date.now() - t0 < 1_000);
  let calls = 0;
  const last = await retryUntil(() => ++calls, () => false, { everyMs: 5, deadline: Date.now() + 30 });
  assert.equal(last, calls);
  assert.ok(calls >= 2, `asked ${calls} times`);
});

test('timeoutMs counts from the first answer', async () => {
  const t0 = Date.now();
  let calls = 0;
  await retryUntil(async () => {
    if (++calls === 1) await sleep(50);
    return calls;
  }, () => false, { everyMs: 5, timeoutMs: 30 });
  assert.ok(Date.now() - t0 >= 80, `gave up after ${Date.now() - t0} ms`);
});
