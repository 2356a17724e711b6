/**
 * Learner progress, kept in localStorage for now (no accounts). Shared by the
 * lesson list and the lesson pages; other tabs follow via `storage` events.
 */
import { useSyncExternalStore } from 'react';

export interface LessonProgress {
  visited?: boolean;
  completed?: boolean;
  /** Exercise ids that passed. */
  passed?: string[];
  /** Exercise id -> hints revealed. */
  hints?: Record<string, number>;
  /** Exercise ids whose solution was revealed. */
  solutions?: string[];
}

export interface Progress {
  lessons: Record<string, LessonProgress>;
  lastLesson?: string;
}

const KEY = 'swb.progress.v1';
const empty: Progress = { lessons: {} };
let cached: Progress | null = null;
const listeners = new Set<() => void>();

function read(): Progress {
  if (cached) return cached;
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Progress | null;
    cached = parsed && typeof parsed === 'object' && parsed.lessons ? parsed : empty;
  } catch {
    cached = empty; // private mode or corrupt data: start clean
  }
  return cached;
}

function write(next: Progress): void {
  cached = next;
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // Storage full or disabled: progress lives for this page only.
  }
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key !== KEY) return;
    cached = null;
    listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

function update(slug: string, fn: (p: LessonProgress) => LessonProgress, last = false): void {
  const current = read();
  const before = current.lessons[slug] ?? {};
  const after = fn(before);
  if (JSON.stringify(before) === JSON.stringify(after) && (!last || current.lastLesson === slug)) return;
  write({ ...current, lessons: { ...current.lessons, [slug]: after }, ...(last ? { lastLesson: slug } : {}) });
}

export const progress = {
  markVisited: (slug: string) => update(slug, (p) => ({ ...p, visited: true }), true),
  markCompleted: (slug: string) => update(slug, (p) => ({ ...p, visited: true, completed: true })),
  recordExercise(slug: string, id: string, passed: boolean, total: number) {
    update(slug, (p) => {
      const set = new Set(p.passed ?? []);
      if (passed) set.add(id);
      else set.delete(id);
      return { ...p, passed: [...set].sort(), completed: p.completed || (total > 0 && set.size >= total) };
    });
  },
  setHints: (slug: string, id: string, shown: number) => update(slug, (p) => ({ ...p, hints: { ...p.hints, [id]: shown } })),
  revealSolution: (slug: string, id: string) =>
    update(slug, (p) => ({ ...p, solutions: [...new Set([...(p.solutions ?? []), id])] })),
};

export function useProgress(): Progress {
  return useSyncExternalStore(subscribe, read, () => empty);
}

export function useLessonProgress(slug: string): LessonProgress {
  return useProgress().lessons[slug] ?? noLesson;
}
const noLesson: LessonProgress = {};
