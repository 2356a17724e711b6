import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inputHash, parseFromRefs, type BuildInputs } from './hash.ts';

const base: BuildInputs = {
  tag: 'flask_app:3.0',
  files: [
    { path: 'Dockerfile', mode: 0o644, content: Buffer.from('FROM swb/debian:bookworm\n') },
    { path: 'app.py', mode: 0o644, content: Buffer.from('print(1)\n') },
  ],
  buildArgs: { APP_VERSION: '3.0' },
  parentIds: ['sha256:aaa'],
};

test('hash is stable and ignores file order', () => {
  const reordered = { ...base, files: [...base.files].reverse() };
  assert.equal(inputHash(base), inputHash(reordered));
});

test('hash changes with content, exec bit, build args and parent', () => {
  const h = inputHash(base);
  const f1 = base.files[1]!;
  assert.notEqual(h, inputHash({ ...base, files: [base.files[0]!, { ...f1, content: Buffer.from('print(2)\n') }] }));
  assert.notEqual(h, inputHash({ ...base, files: [base.files[0]!, { ...f1, mode: 0o755 }] }));
  assert.notEqual(h, inputHash({ ...base, buildArgs: { APP_VERSION: '2.0' } }));
  assert.notEqual(h, inputHash({ ...base, parentIds: ['sha256:bbb'] }));
});

test('hash ignores permission bits other than exec (umask differences between checkouts)', () => {
  const f1 = base.files[1]!;
  assert.equal(inputHash(base), inputHash({ ...base, files: [base.files[0]!, { ...f1, mode: 0o664 }] }));
});

test('parseFromRefs: plain, platform flag, stages, args, scratch', () => {
  assert.deepEqual(parseFromRefs('FROM swb/debian:bookworm\nRUN true\n'), ['swb/debian:bookworm']);
  assert.deepEqual(parseFromRefs('from --platform=linux/amd64 a:1 AS build\nFROM build\nFROM b:2\n'), ['a:1', 'b:2']);
  assert.deepEqual(parseFromRefs('ARG BASE=x:1\nFROM ${BASE}\n'), ['x:1']);
  assert.deepEqual(parseFromRefs('ARG BASE=x:1\nFROM $BASE\n', { BASE: 'y:2' }), ['y:2']);
  assert.deepEqual(parseFromRefs('# FROM nope\nFROM scratch\n'), []);
});
