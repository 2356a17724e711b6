import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeCodes } from '@contract/protocol.ts';
import { decideOnClose, INPUT_STALL_REPEAT_MS } from './close-decision.ts';

const now = 1_000_000_000;

describe('decideOnClose', () => {
  it('stops for a session that is gone, and says which way', () => {
    assert.deepEqual(decideOnClose(closeCodes.noSession, null, now), { action: 'stop', reason: 'no-session', sessionGone: true });
    assert.deepEqual(decideOnClose(closeCodes.sessionExpired, null, now), { action: 'stop', reason: 'expired', sessionGone: true });
    assert.deepEqual(decideOnClose(closeCodes.replaced, null, now), { action: 'stop', reason: 'replaced', sessionGone: true });
  });

  it('reconnects at once after a server restart, with backoff after a plain drop', () => {
    assert.deepEqual(decideOnClose(closeCodes.serverRestart, null, now), { action: 'reconnect', resetBackoff: true, notice: null });
    for (const code of [1000, 1001, 1006, 1011, 4999]) assert.deepEqual(decideOnClose(code, null, now), { action: 'reconnect', resetBackoff: false, notice: null }, String(code));
  });

  it('never reconnects by itself when the session has too many sockets', () => {
    assert.deepEqual(decideOnClose(closeCodes.tooManySockets, null, now), { action: 'stop', reason: 'too-many-sockets', sessionGone: false });
  });

  it('reconnects once after an input stall, and stops when it comes back soon', () => {
    assert.deepEqual(decideOnClose(closeCodes.inputStalled, null, now), { action: 'reconnect', resetBackoff: true, notice: 'input-stalled' });
    assert.deepEqual(decideOnClose(closeCodes.inputStalled, now - 40_000, now), { action: 'stop', reason: 'input-stalled', sessionGone: false });
    assert.deepEqual(decideOnClose(closeCodes.inputStalled, now - INPUT_STALL_REPEAT_MS, now), { action: 'reconnect', resetBackoff: true, notice: 'input-stalled' });
  });
});
