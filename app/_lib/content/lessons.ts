/**
 * Lessons for the pages: compiled once per server process (at build time for
 * the statically generated pages). Server-only: reads the content folder.
 */
import { cache } from 'react';
import { contentDirOf } from '../../../content/dirs.ts';
import { loadAllLessons, readLabFile, type CompiledLesson } from '../../../content/load.ts';

/**
 * The content folder: `<repo>/content` (the custom server and `next build` run
 * from the repo root). SWB_CONTENT_DIR points a build at fixture lessons (e2e).
 */
const contentDir = contentDirOf(process.env.SWB_CONTENT_DIR, process.cwd());

let compiled: Promise<CompiledLesson[]> | null = null;

/** All lessons in order. Invalid content throws (and so fails `next build`) with every problem listed. */
export const getLessons = cache(async (): Promise<CompiledLesson[]> => {
  // In development, recompile on every request so edits to lessons show up.
  if (process.env.NODE_ENV === 'development') return loadAllLessons({ contentDir });
  compiled ??= loadAllLessons({ contentDir });
  return compiled;
});

export interface LessonLink {
  slug: string;
  title: string;
  order: number;
}

export async function getLessonWithNeighbours(slug: string) {
  const lessons = await getLessons();
  const index = lessons.findIndex((l) => l.slug === slug);
  if (index < 0) return null;
  const link = (l: CompiledLesson | undefined): LessonLink | null => (l ? { slug: l.slug, title: l.title, order: l.order } : null);
  return { lesson: lessons[index]!, index, total: lessons.length, prev: link(lessons[index - 1]), next: link(lessons[index + 1]) };
}

export interface LabFileView {
  path: string;
  /** The file as the lesson ships it (shown read-only while the sandbox is unreachable). */
  original: string | null;
}

export async function getLabFiles(paths: string[]): Promise<LabFileView[]> {
  return Promise.all(paths.map(async (p) => ({ path: p, original: await readLabFile({ contentDir }, p) })));
}
