/**
 * Progress survives a reopen of the database, passes stick, and progress of
 * sessions that ended is pruned.
 * Run: node --import tsx --test sandbox-server/src/checks/progress.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SessionStore } from '../sessions/store.ts';
import { ProgressStore } from './progress.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-progress-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ProgressStore', () => {
  it('records passes, keeps the first pass time, and survives a reopen beside the sessions table', () => {
    const file = path.join(dir, 'sessions.db');
    const sessions = new SessionStore(file);
    sessions.upsert({ id: 's1', clusterId: null, createdAt: 1, lastSeen: 1 });
    let store = new ProgressStore(file);
    assert.equal(store.record('s1', 'first-service', 'app-service', true, 'ok', { now: 1000 }), true);
    assert.equal(store.record('s1', 'first-service', 'app-service', true, 'ok again', { now: 2000 }), false, 'no change, no write');
    store.recordApplied('s1', 'first-service', 'app-service', 1500);
    store.close();

    store = new ProgressStore(file);
    const p = store.lesson('s1', 'first-service').get('app-service')!;
    assert.deepEqual({ passed: p.passed, passedAt: p.passedAt, appliedAt: p.appliedAt, message: p.message }, { passed: true, passedAt: 1000, appliedAt: 1500, message: 'ok' });

    // A `hold` exercise that stops holding turns back; its first pass time stays.
    assert.equal(store.record('s1', 'first-service', 'app-service', false, 'gone', { now: 3000 }), true);
    const back = store.lesson('s1', 'first-service').get('app-service')!;
    assert.equal(back.passed, false);
    assert.equal(back.passedAt, 1000);

    // The latest failing message is kept (for the room's "common failures"), without touching the first pass.
    assert.equal(store.record('s1', 'first-service', 'app-service', false, 'gone', { now: 3500 }), false, 'same message, no write');
    assert.equal(store.record('s1', 'first-service', 'app-service', false, '1 of 3 replicas running', { now: 4000 }), true);
    assert.equal(store.lesson('s1', 'first-service').get('app-service')!.message, '1 of 3 replicas running');

    // The cluster of the latest pass is kept: after a reset the state is gone, and a pass on the new cluster says so.
    assert.equal(store.record('s1', 'first-service', 'app-service', true, 'ok', { clusterId: 'c1', now: 5000 }), true);
    assert.equal(store.record('s1', 'first-service', 'app-service', true, 'ok', { clusterId: 'c1', now: 5500 }), false);
    assert.equal(store.record('s1', 'first-service', 'app-service', true, 'ok', { clusterId: 'c2', now: 6000 }), true);
    const moved = store.lesson('s1', 'first-service').get('app-service')!;
    assert.deepEqual([moved.clusterId, moved.passedAt], ['c2', 1000]);

    store.forget('s1', 'first-service', 'app-service');
    assert.equal(store.lesson('s1', 'first-service').size, 0);
    store.record('s1', 'first-service', 'app-service', true, 'ok');

    store.record('gone', 'first-service', 'app-service', true, 'ok');
    assert.equal(store.pruneEndedSessions(), 1);
    assert.equal(store.lesson('s1', 'first-service').size, 1);
    store.close();
    sessions.close();
  });
});
