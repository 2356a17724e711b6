import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamOffsets } from './offsets.ts';

describe('StreamOffsets', () => {
  it('asks for the whole scrollback on a fresh view, then for what it has', () => {
    const o = new StreamOffsets(100);
    assert.equal(o.openOffset(), undefined);
    assert.deepEqual(o.onOpened(40), { kind: 'continue' }); // server kept bytes 40.. only
    assert.equal(o.onOutput(10), 50);
    assert.equal(o.onOutput(5), 55);
    assert.equal(o.openOffset(), 55, 'a reconnect resumes right after the last byte received');
  });

  it('continues without duplicates when the server resumes at our offset', () => {
    const o = new StreamOffsets(100);
    o.onOpened(0);
    o.onOutput(30);
    assert.deepEqual(o.onOpened(30), { kind: 'continue' });
    assert.equal(o.onOutput(1), 31);
  });

  it('reports a gap when the server dropped bytes we never saw', () => {
    const o = new StreamOffsets(100);
    o.onOpened(0);
    o.onOutput(30);
    assert.deepEqual(o.onOpened(80), { kind: 'gap', lost: 50 });
    assert.equal(o.onOutput(10), 90);
  });

  it('treats an offset before ours as a new stream', () => {
    const o = new StreamOffsets(100);
    o.onOpened(0);
    o.onOutput(30);
    assert.deepEqual(o.onOpened(0), { kind: 'restart' });
    assert.equal(o.onOutput(4), 4);
    assert.equal(o.openOffset(), 4);
  });

  it('acks rendered bytes in steps, and flushes the remainder when quiet', () => {
    const o = new StreamOffsets(100);
    o.onOpened(0);
    const a = o.onOutput(60);
    const b = o.onOutput(60);
    assert.equal(o.onRendered(a), null, 'less than a step rendered');
    assert.equal(o.onRendered(b), 120, 'a full step rendered: ack everything rendered');
    assert.equal(o.flushAck(), null, 'nothing new to ack');
    const c = o.onOutput(7);
    assert.equal(o.onRendered(c), null);
    assert.equal(o.flushAck(), 127);
    assert.equal(o.flushAck(), null);
  });

  it('acks only what was rendered, not what was received', () => {
    const o = new StreamOffsets(10);
    o.onOpened(0);
    o.onOutput(50);
    const end = o.onOutput(50);
    assert.equal(o.flushAck(), null, 'nothing rendered yet');
    assert.equal(o.onRendered(end - 50), 50);
    assert.equal(o.renderedBytes, 50);
    assert.equal(o.receivedBytes, 100);
  });

  it('reset starts over with a full replay', () => {
    const o = new StreamOffsets(10);
    o.onOpened(5);
    o.onOutput(5);
    o.reset();
    assert.equal(o.openOffset(), undefined);
    assert.deepEqual(o.onOpened(0), { kind: 'continue' });
  });
});
