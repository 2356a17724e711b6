import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RETRY_AFTER_S, parseRetryAfter } from './retry-after.ts';

describe('parseRetryAfter', () => {
  it('reads delta-seconds as the server sends them', () => {
    assert.equal(parseRetryAfter('60'), 60);
    assert.equal(parseRetryAfter(' 5 '), 5);
    assert.equal(parseRetryAfter('0'), 0);
  });

  it('holds absurd advice to the cap', () => {
    assert.equal(parseRetryAfter('86400'), MAX_RETRY_AFTER_S);
    assert.equal(parseRetryAfter('9'.repeat(40)), MAX_RETRY_AFTER_S);
  });

  it('takes no advice it cannot read', () => {
    for (const bad of [null, undefined, '', '-5', '1.5', '1e3', 'soon', 'NaN', 'Infinity', '0x10', '12 s', '9'.repeat(100)]) {
      assert.equal(parseRetryAfter(bad), null, String(bad));
    }
  });

  it('reads an HTTP-date relative to now, never below 0', () => {
    const now = Date.parse('Sat, 05 Dec 2026 16:00:00 GMT');
    assert.equal(parseRetryAfter('Sat, 05 Dec 2026 16:00:30 GMT', now), 30);
    assert.equal(parseRetryAfter('Sat, 05 Dec 2026 15:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('Sun, 06 Dec 2026 16:00:00 GMT', now), MAX_RETRY_AFTER_S);
    assert.equal(parseRetryAfter('Sat, 99 Dec 2026 16:00:00 GMT', now), null);
  });
});
