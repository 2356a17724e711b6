import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dashboard, LearnerWorkshopServerMessage } from '@contract/workshop.ts';
import { LiveFeeds } from './live.ts';
import type { LearnerRow, WorkshopRow } from './store.ts';

const w = { id: 'w1', title: 'Swarm day', lessons: ['first-service'], learnersMayReset: false } as WorkshopRow;
const ada = { id: 'l1', workshopId: 'w1', name: 'Ada' } as LearnerRow;
/** A learner page's socket: what it was sent. */
const page = () => {
  const got: LearnerWorkshopServerMessage[] = [];
  return { got, send: (m: LearnerWorkshopServerMessage) => void got.push(m) };
};

describe('live feeds', () => {
  it('a learner page gets the workshop and the watch state, is online while open, and is told when watched', () => {
    const live = new LiveFeeds(() => undefined);
    const p = page();
    const stop = live.connectLearner(ada, w, p.send);
    assert.deepEqual(p.got, [
      { type: 'workshop', title: 'Swarm day', name: 'Ada', lessons: ['first-service'], learnersMayReset: false },
      { type: 'watched', watching: false },
    ]);
    assert.ok(live.online('l1'));
    live.watching('l1', 1);
    live.watching('l1', 1);
    live.watching('l1', -1);
    assert.deepEqual(p.got.slice(2), [{ type: 'watched', watching: true }, { type: 'watched', watching: true }, { type: 'watched', watching: true }], 'two instructors watched, one is still there');
    live.watching('l1', -1);
    assert.deepEqual(p.got.at(-1), { type: 'watched', watching: false });
    stop();
    assert.ok(!live.online('l1'));
    assert.equal(live.toLearner('l1', { type: 'ended' }), 0, 'no page open: no one reached');
  });

  it('a notice reaches the open pages, and a page opened soon after gets it too', () => {
    const live = new LiveFeeds(() => undefined);
    const open = page();
    live.connectLearner(ada, w, open.send);
    assert.equal(live.notice('w1', ['l1', 'l2'], 'break until 11'), 1);
    assert.equal(open.got.at(-1)?.type, 'notice');
    const later = page();
    live.connectLearner({ ...ada, id: 'l2', name: 'Bo' }, w, later.send);
    assert.deepEqual(later.got.map((m) => m.type), ['workshop', 'watched', 'notice']);
  });

  it('a dashboard is sent when it changed, not again when it did not, and never after close', () => {
    let passed = 0;
    const dashboardOf = (id: string) => (id === 'w1' ? ({ learners: [], exercises: [{ passed }] } as unknown as Dashboard) : undefined);
    const live = new LiveFeeds(dashboardOf);
    const seen: Dashboard[] = [];
    const stop = live.subscribe('w1', dashboardOf('w1')!, (d) => void seen.push(d));
    assert.equal(seen.length, 1, 'the first one at once');
    live.changed('w1');
    live.refresh();
    assert.equal(seen.length, 2, 'the next push; the same picture again is not sent');
    passed = 1;
    live.refresh();
    assert.equal(seen.length, 3);
    stop();
    passed = 2;
    live.refresh();
    assert.equal(seen.length, 3, 'unsubscribed');
    live.subscribe('w1', dashboardOf('w1')!, (d) => void seen.push(d));
    live.close();
    passed = 3;
    live.changed('w1');
    assert.equal(seen.length, 4, 'closed: nothing more');
  });
});
