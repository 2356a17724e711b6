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

test('class fault nodes follow the clusters the server reports (0 to 9 workers), manager first', () => {
  assert.deepEqual(workshop.classNodes([]), ['manager']);
  assert.deepEqual(workshop.classNodes([{ nodes: ['manager'] }, {}]), ['manager']);
  assert.deepEqual(workshop.classNodes([{ nodes: ['manager', 'worker-1'] }, { nodes: ['manager', 'worker-1', 'worker-2', 'worker-3'] }]), ['manager', 'worker-1', 'worker-2', 'worker-3']);
});
