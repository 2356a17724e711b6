import type { LessonProgress, Progress } from '../../_lib/progress.ts';

/**
 * A lesson is finished when all its exercises passed; one without exercises, once it was read to its
 * end (the lesson's Previous/Next links came into view, or Next was followed).
 */
export function isFinished(p: LessonProgress | undefined): boolean {
  return !!p?.completed;
}

/**
 * Where Continue goes: forward from the lesson the learner was last in. That lesson while it is
 * unfinished, else the next unfinished one after it: a lesson skipped before it (the reading-only
 * first lesson) does not pull the learner back. When every lesson after it is finished, the first
 * unfinished one; none when all are.
 */
export function continueTarget<T extends { slug: string }>(lessons: T[], progress: Progress): T | undefined {
  const from = Math.max(0, lessons.findIndex((l) => l.slug === progress.lastLesson));
  const unfinished = (l: T) => !isFinished(progress.lessons[l.slug]);
  return lessons.slice(from).find(unfinished) ?? lessons.find(unfinished);
}
