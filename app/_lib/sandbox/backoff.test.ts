import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconnectDelay } from './backoff.ts';

describe('reconnectDelay', () => {
  it('grows exponentially from a quick first retry up to a ceiling', () => {
    const mid = () => 0.5; // no jitter
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map((a) => reconnectDelay(a, mid)), [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });
  it('jitters within bounds and never exceeds the ceiling', () => {
    assert.equal(reconnectDelay(0, () => 0), 400);
    assert.equal(reconnectDelay(0, () => 1), 600);
    assert.equal(reconnectDelay(20, () => 1), 15000);
  });
});
