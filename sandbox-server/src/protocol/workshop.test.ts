/** The workshop contract restates a few pieces of index.ts (see there): they must not drift apart. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as main from './index.js';
import * as workshop from './workshop.js';

test('workshop protocol pieces match the main contract', () => {
  assert.equal(workshop.SANDBOX_PREFIX, main.SANDBOX_PREFIX);
  for (const s of ['swarm-init', 'a', 'Bad', 'a--b', '-a', 'lesson-2']) assert.equal(workshop.lessonSlug.safeParse(s).success, main.lessonSlug.safeParse(s).success, s);
  for (const s of ['manager', 'worker-1', 'worker-10', 'worker-0', 'node']) assert.equal(workshop.nodeName.safeParse(s).success, main.nodeName.safeParse(s).success, s);
});

test('join codes and names are normalised and bounded', () => {
  assert.equal(workshop.joinCode.parse(' k7mp3q '), 'K7MP3Q');
  assert.equal(workshop.joinCode.safeParse('K7MP3O').success, false, 'no O: it reads as 0');
  assert.equal(workshop.displayName.parse('  Ada   Lovelace '), 'Ada Lovelace');
  assert.equal(workshop.displayName.safeParse('<script>').success, false);
  assert.equal(workshop.displayName.safeParse('x'.repeat(41)).success, false);
});
