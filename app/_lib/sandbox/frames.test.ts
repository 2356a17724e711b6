import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_INPUT_FRAME_BYTES } from '@contract/protocol.ts';
import { binaryStringToBytes, commandKeystrokes, encodeControl, encodeInputFrames, parseServerFrame, textToBytes } from './frames.ts';

describe('parseServerFrame', () => {
  it('validates JSON control frames against the protocol', () => {
    const ok = parseServerFrame(JSON.stringify({ type: 'opened', terminalId: 't-manager', node: 'manager', channel: 3, offset: 10 }));
    assert.deepEqual(ok, { kind: 'message', message: { type: 'opened', terminalId: 't-manager', node: 'manager', channel: 3, offset: 10 } });
    const cluster = parseServerFrame(JSON.stringify({ type: 'cluster', cluster: { status: 'ready', nodes: [] } }));
    assert.equal(cluster.kind, 'message');
    assert.deepEqual(cluster.kind === 'message' && cluster.message.type === 'cluster' && cluster.message.cluster.hostLimits, []);
  });

  it('rejects frames that are not JSON or not in the protocol', () => {
    assert.equal(parseServerFrame('{nope').kind, 'invalid');
    assert.equal(parseServerFrame(JSON.stringify({ type: 'opened', terminalId: 'x' })).kind, 'invalid');
    assert.equal(parseServerFrame(JSON.stringify({ type: 'mystery' })).kind, 'invalid');
    assert.equal(parseServerFrame(new Uint8Array(0)).kind, 'invalid');
  });

  it('splits binary frames into channel and payload', () => {
    const frame = new Uint8Array([7, 104, 105]);
    const parsed = parseServerFrame(frame.buffer);
    assert.equal(parsed.kind, 'output');
    if (parsed.kind === 'output') {
      assert.equal(parsed.channel, 7);
      assert.deepEqual([...parsed.payload], [104, 105]);
    }
  });
});

describe('encodeInputFrames', () => {
  it('prefixes the channel byte', () => {
    const frames = encodeInputFrames(5, textToBytes('ls\r'));
    assert.equal(frames.length, 1);
    assert.deepEqual([...frames[0]!], [5, 108, 115, 13]);
  });

  it('splits a large paste into frames within the server limit, losing nothing', () => {
    const paste = new Uint8Array(MAX_INPUT_FRAME_BYTES * 2 + 123).map((_, i) => i % 251);
    const frames = encodeInputFrames(2, paste);
    assert.equal(frames.length, 3);
    for (const f of frames) {
      assert.ok(f.length <= MAX_INPUT_FRAME_BYTES, `frame of ${f.length} bytes exceeds ${MAX_INPUT_FRAME_BYTES}`);
      assert.equal(f[0], 2);
    }
    const joined = frames.flatMap((f) => [...f.subarray(1)]);
    assert.deepEqual(joined, [...paste]);
  });

  it('sends nothing for empty input and handles multi-byte text', () => {
    assert.deepEqual(encodeInputFrames(1, new Uint8Array(0)), []);
    const bytes = textToBytes('héllo ✓');
    const frames = encodeInputFrames(1, bytes, 3);
    assert.deepEqual(frames.flatMap((f) => [...f.subarray(1)]), [...bytes]);
    assert.ok(frames.every((f) => f.length <= 4));
  });
});

describe('small encoders', () => {
  it('encodes control messages as JSON', () => {
    assert.equal(encodeControl({ type: 'ack', terminalId: 't-manager', offset: 5 }), '{"type":"ack","terminalId":"t-manager","offset":5}');
  });
  it('maps binary strings byte for byte', () => {
    assert.deepEqual([...binaryStringToBytes('\x1b[M\xff')], [27, 91, 77, 255]);
  });
  it('turns a command into keystrokes ending with one Enter', () => {
    assert.equal(commandKeystrokes('docker swarm init'), 'docker swarm init\r');
    assert.equal(commandKeystrokes('a \\\n  b\n'), 'a \\\r  b\r');
  });
});
