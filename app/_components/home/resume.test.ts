import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstUnfinished } from './resume.ts';

const lessons = [
  { slug: 'intro', exercises: 0 },
  { slug: 'init', exercises: 1 },
  { slug: 'service', exercises: 2 },
];

describe('firstUnfinished (the home page Continue)', () => {
  it('skips a lesson without exercises once it was opened, and lessons whose exercises all passed', () => {
    const p = { lessons: { intro: { visited: true }, init: { visited: true, completed: true }, service: { visited: true, passed: ['a'] } }, lastLesson: 'init' };
    assert.equal(firstUnfinished(lessons, p)?.slug, 'service');
  });

  it('points to an unopened first lesson, and to nothing when every lesson is finished', () => {
    assert.equal(firstUnfinished(lessons, { lessons: {} })?.slug, 'intro');
    const done = { lessons: { intro: { visited: true }, init: { completed: true }, service: { completed: true } } };
    assert.equal(firstUnfinished(lessons, done), undefined);
  });
});
