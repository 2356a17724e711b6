import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxHttpError } from './http.ts';
import { MAX_RETRY_AFTER_S } from './retry-after.ts';
import { MAX_SESSION_WAITS, planSessionRetry } from './session-start.ts';

const tooMany = (after: number | null) => new SandboxHttpError('Too many new sessions from your network; try again in 7 s.', 429, after);

describe('planSessionRetry', () => {
  it('waits out a 429 for as long as the server says, with the server words', () => {
    assert.deepEqual(planSessionRetry(tooMany(7), 0, () => 0), { kind: 'wait', delayMs: 7000, words: 'Too many new sessions from your network; try again in 7 s.' });
    const jittered = planSessionRetry(tooMany(7), 0, () => 0.999);
    assert.ok(jittered.kind === 'wait' && jittered.delayMs > 7000 && jittered.delayMs <= 8000);
    const noAdvice = planSessionRetry(tooMany(null), 0, () => 0);
    assert.ok(noAdvice.kind === 'wait' && noAdvice.delayMs > 0 && noAdvice.delayMs <= MAX_RETRY_AFTER_S * 1000);
  });

  it('gives up after a bounded number of waits in a row', () => {
    assert.equal(planSessionRetry(tooMany(7), MAX_SESSION_WAITS - 1).kind, 'wait');
    assert.deepEqual(planSessionRetry(tooMany(7), MAX_SESSION_WAITS), { kind: 'give-up', words: 'Too many new sessions from your network; try again in 7 s.' });
  });

  it('backs off as before when the server is down, never sooner than its Retry-After', () => {
    assert.deepEqual(planSessionRetry(new SandboxHttpError('down', 502), 0), { kind: 'backoff', minDelayMs: 0, words: 'down' });
    assert.deepEqual(planSessionRetry(new SandboxHttpError('busy', 503, 30), 9), { kind: 'backoff', minDelayMs: 30_000, words: 'busy' });
    assert.equal(planSessionRetry(new TypeError('x'), 0).kind, 'backoff');
  });
});
