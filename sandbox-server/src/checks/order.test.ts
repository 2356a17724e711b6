/**
 * Exercise order: an exercise that follows another passes only after that one passed, in this round
 * or before, and says what to do first.
 * Run: node --import tsx --test sandbox-server/src/checks/order.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExerciseOrder } from '@contract/lesson.ts';
import type { CheckResult } from '@contract/protocol.ts';
import { hasPassed, notYetMessage, verdictsInOrder } from './order.ts';

type Ex = { id: string; title: string; after?: ExerciseOrder };

const lesson: Ex[] = [
  { id: 'app-spread', title: 'Run three replicas of the app across the nodes' },
  { id: 'database-two', title: 'Run two replicas of the database' },
  { id: 'database-single', title: 'Scale the database back to one replica', after: { id: 'database-two', why: 'scale the database to 2 first: this step is about coming back down' } },
];

/** A round where the checks of `holding` hold: what each exercise's verdict was given and returned. */
async function round(holding: string[], passedBefore: string[] = [], exercises: Ex[] = lesson) {
  const given = new Map<string, string | null>();
  const results = await verdictsInOrder(exercises, (id) => passedBefore.includes(id), async (ex, notYet): Promise<CheckResult> => {
    given.set(ex.id, notYet);
    // The earlier exercise's check takes longer: the later one must still wait for it.
    await sleep(ex.id === 'database-two' ? 20 : 0);
    if (notYet !== null) return { exerciseId: ex.id, state: 'failed', message: notYet };
    return { exerciseId: ex.id, state: holding.includes(ex.id) ? 'passed' : 'failed', message: '' };
  });
  return { given, state: Object.fromEntries(results.map((r) => [r.exerciseId, r.state])), results };
}

describe('verdictsInOrder', () => {
  it('fails an exercise whose state holds while the one it follows never passed, with the lesson\'s words', async () => {
    // The app is spread and the database runs one replica: the end state of database-single, before its step.
    const r = await round(['app-spread', 'database-single']);
    assert.deepEqual(r.state, { 'app-spread': 'passed', 'database-two': 'failed', 'database-single': 'failed' });
    assert.equal(r.results[2]!.message, 'scale the database to 2 first: this step is about coming back down');
    assert.equal(r.given.get('app-spread'), null, 'exercises without an order are judged as ever');
  });

  it('lets it pass once the one it follows passed before (stored) or passes in the same round', async () => {
    assert.equal((await round(['database-single'], ['database-two'])).state['database-single'], 'passed');
    const same = await round(['database-two', 'database-single']);
    assert.equal(same.given.get('database-single'), null);
    assert.equal(same.state['database-single'], 'passed');
  });

  it('names the earlier exercise when the lesson gives no reason, and follows chains', async () => {
    const chain: Ex[] = [
      { id: 'a', title: 'Do a.' },
      { id: 'c', title: 'Do c', after: { id: 'b' } },
      { id: 'b', title: 'Do b', after: { id: 'a' } },
    ];
    const r = await round(['a', 'b', 'c'], [], chain);
    assert.deepEqual(r.state, { a: 'passed', b: 'passed', c: 'passed' });
    const blocked = await round(['b', 'c'], [], chain);
    assert.deepEqual(blocked.state, { a: 'failed', b: 'failed', c: 'failed' });
    assert.equal(blocked.given.get('b'), 'first: Do a (the exercise before this one); this step counts only after it');
    assert.equal(blocked.given.get('c'), notYetMessage({ id: 'b' }, 'Do b'));
  });

  it('counts a stored pass, and a hold exercise that passed once and turned back', () => {
    const row = { lesson: 'l', exerciseId: 'x', message: '', updatedAt: 1, appliedAt: null, clusterId: null };
    assert.equal(hasPassed(undefined), false);
    assert.equal(hasPassed({ ...row, passed: false, passedAt: null }), false, 'only applied or failed');
    assert.equal(hasPassed({ ...row, passed: true, passedAt: 5 }), true);
    assert.equal(hasPassed({ ...row, passed: false, passedAt: 5 }), true, 'turned back after passing');
  });
});
