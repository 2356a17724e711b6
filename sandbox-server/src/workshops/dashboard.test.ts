/** The dashboard picture and its CSV, from plain inputs (no engine). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LearnerSession } from '../sessions/manager.ts';
import { computeDashboard, dashboardCsv } from './dashboard.ts';
import type { LearnerRow, WorkshopRow } from './store.ts';

const workshop: WorkshopRow = {
  id: 'abcdefghijkl', title: 'T', lessons: ['one', 'two'], capacity: 3, startsAt: 0, endsAt: 10_000_000, learnersMayReset: true,
  secretHash: 'x', joinCode: 'ABCDEF', createdAt: 0, endedAt: null, expected: 0, prewarmAt: 0,
};
const learner = (id: string, name: string, sessionId: string): LearnerRow => ({ id, workshopId: workshop.id, name, sessionId, joinedAt: 1000, lesson: 'one', finalPassed: null });
const lessons = { get: (slug: string) => (slug === 'one' ? { exercises: [{ id: 'a' }, { id: 'b' }] } : { exercises: [{ id: 'c' }] }) };
const row = (passed: boolean, message: string) => ({ passed, passedAt: passed ? 5000 : null, message });
/** s1 passed a and fails b; s2 and s4 fail a with the same message; s3 was never checked. */
const stored: Record<string, Record<string, ReturnType<typeof row>>> = {
  s1: { a: row(true, 'ok'), b: row(false, 'service web has 1 of 3 replicas running') },
  s2: { a: row(false, 'this node is not in a swarm') },
  s4: { a: row(false, 'this node is not in a swarm (state: inactive (never joined))') },
};
const progress = {
  lesson: (sessionId: string, lesson: string) => new Map(lesson === 'one' ? Object.entries(stored[sessionId] ?? {}) : []),
};
const session = (status: 'ready' | 'failed', connections: number) => ({ info: { status, nodes: [], hostLimits: [] }, connections }) as unknown as LearnerSession;

test('counts passes per exercise, health, and flags online learners without progress as stuck', () => {
  const d = computeDashboard({
    workshop,
    learners: [learner('l1', 'Ada', 's1'), learner('l2', '=cmd()', 's2'), learner('l3', 'Gone', 's3'), learner('l4', 'Bo', 's4')],
    lessons,
    progress,
    session: (id) => (id === 's1' ? session('ready', 1) : id === 's2' ? session('failed', 1) : undefined),
    online: () => false,
    pool: { ready: 0, target: 0, hostLimit: 40 },
    catchUp: (id) => (id === 'l4' ? { lesson: 'two', done: 1, total: 2, state: 'running', message: 'one/b' } : undefined),
    stuckAfterMs: 60_000,
    now: 100_000,
  });
  assert.deepEqual(d.exercises.map((e) => [e.key, e.passed]), [['one/a', 1], ['one/b', 0], ['two/c', 0]]);
  assert.deepEqual(d.learners.map((l) => [l.name, l.health, l.online, l.stuck, l.lastProgressAt]), [
    ['Ada', 'ready', true, true, 5000],
    ['=cmd()', 'failed', true, true, null],
    ['Gone', 'gone', false, false, null],
    ['Bo', 'gone', false, false, null],
  ]);
  // Each learner counts once, for the exercise they are on; never-checked learners add nothing; details in parentheses do not split a group.
  assert.deepEqual(d.exercises.map((e) => [e.key, e.failing]), [
    ['one/a', [{ message: 'this node is not in a swarm', learners: 2 }]],
    ['one/b', [{ message: 'service web has 1 of 3 replicas running', learners: 1 }]],
    ['two/c', []],
  ]);
  assert.deepEqual(d.learners[0]!.working, { key: 'one/b', message: 'service web has 1 of 3 replicas running' });
  assert.equal(d.learners[2]!.working, undefined);
  assert.equal(d.learners[3]!.catchUp?.state, 'running');
  const csv = dashboardCsv(d);
  assert.match(csv, /^name,joined_at,current_lesson,passed_count,one\/a,one\/b,two\/c\r\n/);
  assert.match(csv, /\r\nAda,1970-01-01T00:00:01.000Z,one,1,1,0,0\r\n/);
  assert.match(csv, /\r\n'=cmd\(\),/, 'a name a spreadsheet would run as a formula is defused');
});
