import type { LessonProgress, Progress } from '../../_lib/progress.ts';

/** A lesson is finished when all its exercises passed; one without exercises, once it was opened. */
export function isFinished(p: LessonProgress | undefined, exercises: number): boolean {
  return !!p?.completed || (exercises === 0 && !!p?.visited);
}

/** Where Continue goes: the first lesson not finished yet (none when all are). */
export function firstUnfinished<T extends { slug: string; exercises: number }>(lessons: T[], progress: Progress): T | undefined {
  return lessons.find((l) => !isFinished(progress.lessons[l.slug], l.exercises));
}
