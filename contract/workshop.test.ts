import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as workshop from './workshop.ts';

test('join codes and names are normalised and bounded', () => {
  assert.equal(workshop.joinCode.parse(' k7mp3q '), 'K7MP3Q');
  assert.equal(workshop.joinCode.safeParse('K7MP3O').success, false, 'no O: it reads as 0');
  assert.equal(workshop.displayName.parse('  Ada   Lovelace '), 'Ada Lovelace');
  assert.equal(workshop.displayName.safeParse('<script>').success, false);
  assert.equal(workshop.displayName.safeParse('x'.repeat(41)).success, false);
});
