/** Run: node --import tsx --test sandbox-server/src/http/rate-limit.test.ts */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimit } from './rate-limit.ts';

test('a burst passes, then events wait for the refill; per key', () => {
  const rl = new RateLimit(3, 60_000); // one token back every 20 s
  for (let i = 0; i < 3; i++) assert.equal(rl.hit('a', 1000), 0);
  assert.equal(rl.blocked('a', 1000), 20);
  assert.equal(rl.hit('a', 1000), 20, 'refused: seconds until the next token');
  assert.equal(rl.hit('a', 1000), 20, 'a refused event is not counted: the wait does not grow');
  assert.equal(rl.blocked('b', 1000), 0, 'another key has its own budget');
  assert.equal(rl.blocked('a', 11_000), 10);
  assert.equal(rl.hit('a', 21_000), 0, 'one token came back');
  assert.ok(rl.hit('a', 21_000) > 0);
  assert.equal(rl.blocked('a', 1_000_000), 0);
  for (let i = 0; i < 3; i++) assert.equal(rl.hit('a', 1_000_000), 0, 'refilled to the burst, not beyond');
  assert.ok(rl.hit('a', 1_000_000) > 0);
});

test('blocked() counts nothing', () => {
  const rl = new RateLimit(1, 60_000);
  for (let i = 0; i < 10; i++) assert.equal(rl.blocked('a', 0), 0);
  assert.equal(rl.hit('a', 0), 0);
  assert.equal(rl.blocked('a', 0), 60);
});

test('the map is bounded: past maxKeys the least recently counted key is forgotten', () => {
  const rl = new RateLimit(1, 60_000, 3);
  for (const k of ['a', 'b', 'c']) rl.hit(k, 0);
  rl.hit('a', 0); // refused, but counted as recent: 'b' is now the oldest
  rl.hit('d', 0);
  assert.equal(rl.size, 3);
  assert.equal(rl.blocked('b', 0), 0, 'b was evicted: it starts full again');
  assert.ok(rl.blocked('a', 0) > 0 && rl.blocked('c', 0) > 0 && rl.blocked('d', 0) > 0, 'the others are still limited');
  for (let i = 0; i < 10_000; i++) rl.hit(`net-${i}`, 0);
  assert.equal(rl.size, 3, 'a flood of keys never grows the map past its bound');
});
