import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scrollback } from './scrollback.ts';

test('replays from any kept offset, byte-exact', () => {
  const sb = new Scrollback(1000);
  sb.append(Buffer.from('hello '));
  sb.append(Buffer.from('world'));
  assert.equal(sb.since(0).data.toString(), 'hello world');
  assert.equal(sb.since(6).data.toString(), 'world');
  assert.equal(sb.since(11).data.length, 0);
});

test('an offset past the end (a client of an earlier shell) gets this shell from its start', () => {
  const sb = new Scrollback(1000);
  sb.append(Buffer.from('root@manager:/lab# '));
  const replay = sb.since(5000);
  assert.equal(replay.from, 0);
  assert.equal(replay.data.toString(), 'root@manager:/lab# ');
});

test('drops the oldest bytes past capacity and says where the replay starts', () => {
  const sb = new Scrollback(8);
  sb.append(Buffer.from('abcdef'));
  sb.append(Buffer.from('ghijkl'));
  assert.equal(sb.start, 4);
  assert.equal(sb.end, 12);
  const { from, data } = sb.since(0);
  assert.equal(from, 4);
  assert.equal(data.toString(), 'efghijkl');
  assert.equal(sb.since(10).data.toString(), 'kl');
});

test('a chunk larger than the capacity keeps only its tail', () => {
  const sb = new Scrollback(4);
  sb.append(Buffer.from('0123456789'));
  assert.equal(sb.since(0).data.toString(), '6789');
  assert.equal(sb.start, 6);
});
