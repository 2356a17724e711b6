/**
 * The timing of live check rounds, on fake timers: debounce, max wait, the 1 s / 3 s / 10 s re-looks after
 * a change, and polling of checks no event announces.
 * Run: node --import tsx --test sandbox-server/src/checks/scheduler.test.ts
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { RoundScheduler, type RoundTiming } from './scheduler.ts';

let now = 0;
/** Rounds fired: [ms since start, followUp]. */
let rounds: [number, boolean][] = [];
let watched = true;
let busy = false;
const make = (timing: RoundTiming = {}) =>
  new RoundScheduler(timing, (followUp) => rounds.push([now, followUp]), () => watched, () => busy);
/** Advance the fake clock in 10 ms steps (so `now` is right when a timer fires). */
const advance = (ms: number) => {
  for (let t = 0; t < ms; t += 10) {
    now += 10;
    mock.timers.tick(10);
  }
};

describe('round scheduler', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    now = 0;
    rounds = [];
    watched = true;
    busy = false;
  });
  afterEach(() => mock.timers.reset());

  it('waits for 200 ms of quiet after the last event (debounce)', () => {
    const s = make();
    s.schedule('event', true);
    advance(100);
    s.schedule('event', true);
    advance(150);
    s.schedule('event', true);
    advance(190);
    assert.deepEqual(rounds, [], 'no round while events keep coming within 200 ms');
    advance(10);
    assert.deepEqual(rounds, [[450, true]]);
    advance(1000);
    assert.deepEqual(rounds, [[450, true]], 'one round per burst: the max-wait timer went with it');
    s.dispose();
  });

  it('runs at most 600 ms after the first event of a burst that never goes quiet (max wait)', () => {
    const s = make();
    for (let t = 0; t < 1000; t += 100) {
      s.schedule('event', false);
      advance(100);
    }
    assert.deepEqual(rounds[0], [600, false]);
    s.dispose();
  });

  it('a round answers for every request it merged: followUp when any of them was a change', () => {
    const s = make();
    s.schedule('event', true);
    advance(50);
    s.schedule('poll', false, 0);
    advance(10);
    assert.deepEqual(rounds, [[60, true]]);
    s.schedule('poll', false, 0);
    advance(10);
    assert.deepEqual(rounds.at(-1), [70, false], 'the flag does not stick to later rounds');
    s.dispose();
  });

  it('looks again 1 s, 3 s and 10 s after a change left exercises unpassed; a newer change replaces those', () => {
    const s = make();
    s.roundDone({ followUp: true, unpassed: true, polled: false });
    advance(10_000);
    assert.deepEqual(rounds, [[1000, false], [3000, false], [10_000, false]]);

    rounds = [];
    const start = now;
    s.roundDone({ followUp: true, unpassed: true, polled: false });
    advance(500);
    s.schedule('event', true); // a change: the pending re-looks go, its own round comes 200 ms later
    advance(10_000);
    assert.deepEqual(rounds.map(([t, f]) => [t - start, f]), [[700, true]]);

    rounds = [];
    s.roundDone({ followUp: true, unpassed: false, polled: false });
    s.roundDone({ followUp: false, unpassed: true, polled: false });
    advance(11_000);
    assert.deepEqual(rounds, [], 'no re-look when all passed, or after a round no change started');
    s.dispose();
  });

  it('polls every 2 s while an http/file check is unpassed, and stops when none is', () => {
    const s = make();
    s.roundDone({ followUp: false, unpassed: true, polled: true });
    advance(6000);
    assert.deepEqual(rounds.map(([t]) => t), [2000, 4000, 6000]);
    s.roundDone({ followUp: false, unpassed: true, polled: true }); // already polling: same rhythm
    advance(2000);
    assert.deepEqual(rounds.map(([t]) => t), [2000, 4000, 6000, 8000]);
    s.setPolling(false);
    advance(6000);
    assert.equal(rounds.length, 4);
    s.dispose();
  });

  it('skips a poll while a round runs (it reads the same things), but never a change', () => {
    const s = make();
    s.roundDone({ followUp: false, unpassed: true, polled: true });
    busy = true;
    advance(4000);
    assert.equal(rounds.length, 0, 'no poll piles up behind a slow round');
    s.schedule('event', true);
    advance(200);
    assert.deepEqual(rounds, [[4200, true]], 'a Docker event still gets its round');
    busy = false;
    advance(2000);
    assert.deepEqual(rounds.map(([t]) => t), [4200, 6000], 'polling goes on once the round is done');
    s.dispose();
  });

  it('honours custom timings, does nothing when nothing is watched, and stops everything on dispose', () => {
    const s = make({ debounceMs: 50, maxWaitMs: 100, settleMs: [300], pollMs: 500 });
    s.schedule('event', true);
    advance(50);
    assert.deepEqual(rounds, [[50, true]]);
    watched = false;
    s.schedule('event', true);
    advance(200);
    assert.equal(rounds.length, 1, 'no round for a learner who watches no lesson');
    watched = true;
    s.roundDone({ followUp: true, unpassed: true, polled: true });
    s.schedule('event', false);
    s.dispose();
    advance(5000);
    assert.equal(rounds.length, 1, 'nothing fires after dispose');
  });
});
