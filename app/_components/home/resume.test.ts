import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { continueTarget, isFinished } from './resume.ts';

const lessons = [{ slug: 'intro' }, { slug: 'init' }, { slug: 'service' }, { slug: 'database' }, { slug: 'network' }];

describe('continueTarget (the home page Continue)', () => {
  it('goes forward from the last lesson worked in, past a reading lesson the learner skipped', () => {
    // Lessons 2 and 3 done, lesson 1 never opened: Continue offers lesson 4, not lesson 1.
    const p = { lessons: { init: { visited: true, completed: true }, service: { visited: true, completed: true } }, lastLesson: 'service' };
    assert.equal(continueTarget(lessons, p)?.slug, 'database');
  });

  it('stays on the last lesson while it is unfinished, and skips finished lessons after it', () => {
    assert.equal(continueTarget(lessons, { lessons: { service: { visited: true, passed: ['a'] } }, lastLesson: 'service' })?.slug, 'service');
    const p = { lessons: { intro: { visited: true, completed: true }, init: { completed: true }, service: { completed: true } }, lastLesson: 'intro' };
    assert.equal(continueTarget(lessons, p)?.slug, 'database', 'rereading lesson 1 does not send the learner back to it');
  });

  it('wraps to the first unfinished lesson when everything after the last is done, and points nowhere when all are', () => {
    const p = { lessons: { database: { completed: true }, network: { completed: true } }, lastLesson: 'network' };
    assert.equal(continueTarget(lessons, p)?.slug, 'intro');
    assert.equal(continueTarget(lessons, { lessons: {} })?.slug, 'intro', 'a new learner starts at the beginning');
    const all = Object.fromEntries(lessons.map((l) => [l.slug, { completed: true }]));
    assert.equal(continueTarget(lessons, { lessons: all, lastLesson: 'init' }), undefined);
  });

  it('counts a reading lesson once it was read to its end, not merely opened', () => {
    assert.equal(isFinished({ visited: true }), false);
    assert.equal(isFinished({ visited: true, completed: true }), true);
  });
});
