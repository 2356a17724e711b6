/**
 * The dashboard picture of one workshop, computed from the stores and the live
 * sessions. Pure reads; cheap enough to recompute every second for a room.
 */
import type { Dashboard, DashboardExercise, DashboardLearner } from '@contract/workshop.ts';
import type { LearnerSession } from '../sessions/manager.ts';
import type { LearnerRow, WorkshopRow } from './store.ts';

/** What the dashboard needs from the lessons: the exercises of each (the checks' catalog fits). */
export interface LessonSource {
  get(slug: string): { exercises: { id: string }[] } | undefined;
}

/** What the dashboard needs from exercise progress (the checks' ProgressStore fits). */
export interface ProgressSource {
  lesson(sessionId: string, lesson: string): Map<string, { passed: boolean; passedAt: number | null; message: string }>;
}

/** How many of the room's most common failing messages each exercise shows. */
const TOP_FAILING = 3;

export interface DashboardInputs {
  workshop: WorkshopRow;
  learners: LearnerRow[];
  lessons: LessonSource;
  progress: ProgressSource;
  session: (id: string) => LearnerSession | undefined;
  online: (learnerId: string) => boolean;
  pool: Dashboard['pool'];
  catchUp: (learnerId: string) => DashboardLearner['catchUp'];
  /** The latest class fault on this learner's cluster (optional: dashboards without faults). */
  fault?: (learnerId: string) => DashboardLearner['fault'];
  stuckAfterMs: number;
  now?: number;
}

export const exerciseKey = (lesson: string, exerciseId: string) => `${lesson}/${exerciseId}`;

export function workshopExercises(workshop: WorkshopRow, lessons: LessonSource): DashboardExercise[] {
  return workshop.lessons.flatMap((lesson) =>
    (lessons.get(lesson)?.exercises ?? []).map((e) => ({ key: exerciseKey(lesson, e.id), lesson, exerciseId: e.id, passed: 0, failing: [] })),
  );
}

/** Passed exercises of a learner with the time of the latest pass (frozen results once ended). */
export function passedOf(learner: LearnerRow, workshop: WorkshopRow, progress: ProgressSource): { passed: string[]; last: number | null } {
  if (learner.finalPassed) return { passed: learner.finalPassed, last: null };
  const passed: string[] = [];
  let last: number | null = null;
  for (const lesson of workshop.lessons) {
    for (const [id, p] of progress.lesson(learner.sessionId, lesson)) {
      if (!p.passed) continue;
      passed.push(exerciseKey(lesson, id));
      if (p.passedAt !== null) last = Math.max(last ?? 0, p.passedAt);
    }
  }
  return { passed, last };
}

/** Everything but `host`, which the service adds (it knows the host and the other workshops). */
export function computeDashboard(inp: DashboardInputs): Omit<Dashboard, 'host'> {
  const { workshop: w } = inp;
  const now = inp.now ?? Date.now();
  const exercises = workshopExercises(w, inp.lessons);
  const byKey = new Map(exercises.map((e) => [e.key, e]));
  // Passes and the exercise being worked on read the same rows: each (learner, lesson) once per picture.
  const rows = new Map<string, ReturnType<ProgressSource['lesson']>>();
  const progress: ProgressSource = {
    lesson: (sessionId, lesson) => {
      const key = `${sessionId}\n${lesson}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = inp.progress.lesson(sessionId, lesson)));
      return r;
    },
  };
  const failing = new Map<string, Map<string, number>>();
  const learners = inp.learners.map((l): DashboardLearner => {
    const { passed, last } = passedOf(l, w, progress);
    for (const k of passed) {
      const e = byKey.get(k);
      if (e) e.passed++;
    }
    const working = l.finalPassed ? undefined : workingOn(l, inp, progress);
    if (working) {
      const counts = failing.get(working.key) ?? new Map<string, number>();
      const gist = messageGist(working.message);
      failing.set(working.key, counts.set(gist, (counts.get(gist) ?? 0) + 1));
    }
    const catchUp = inp.catchUp(l.id);
    const fault = inp.fault?.(l.id);
    const session = inp.session(l.sessionId);
    const status = session?.info.status;
    const health = !session || status === 'expired' || !status ? 'gone' : status === 'unclaimed' ? 'provisioning' : status;
    const online = !!session && (session.connections > 0 || inp.online(l.id));
    const since = last ?? l.joinedAt;
    return {
      id: l.id,
      name: l.name,
      joinedAt: l.joinedAt,
      health,
      ...(health !== 'ready' && session?.info.progress ? { healthNote: session.info.progress } : {}),
      online,
      ...(session?.info.nodes.length ? { nodes: session.info.nodes.map((n) => n.name) } : {}),
      lesson: l.lesson,
      lastProgressAt: last,
      stuck: online && !w.endedAt && passed.length < exercises.length && now - since > inp.stuckAfterMs,
      passed,
      ...(working ? { working } : {}),
      ...(catchUp ? { catchUp } : {}),
      ...(fault ? { fault } : {}),
    };
  });
  for (const [key, counts] of failing) {
    const e = byKey.get(key);
    if (!e) continue;
    e.failing = [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, TOP_FAILING)
      .map(([message, n]) => ({ message, learners: n }));
  }
  return {
    workshop: {
      id: w.id,
      title: w.title,
      lessons: w.lessons,
      capacity: w.capacity,
      startsAt: w.startsAt,
      endsAt: w.endsAt,
      endedAt: w.endedAt,
      learnersMayReset: w.learnersMayReset,
      joinCode: w.joinCode,
      expected: w.expected,
      prewarmAt: w.prewarmAt,
    },
    exercises,
    learners,
    pool: inp.pool,
  };
}

/**
 * A check message without its parenthesised details, which name what is
 * particular to one cluster ("(services: `bold_shannon` …)"), so the same
 * mistake made by a room reads as one line.
 */
function messageGist(message: string): string {
  let out = message;
  for (let prev = ''; prev !== out; ) [prev, out] = [out, out.replace(/\s*\([^()]*\)/g, '')];
  return out.trim() || message;
}

/**
 * The exercise a learner is on: the first one of their current lesson they
 * have not passed, with the latest message its check gave them (none until a
 * page of theirs has checked it).
 */
function workingOn(l: LearnerRow, inp: DashboardInputs, progress: ProgressSource): { key: string; message: string } | undefined {
  if (!l.lesson) return undefined;
  const stored = progress.lesson(l.sessionId, l.lesson);
  const next = inp.lessons.get(l.lesson)?.exercises.find((e) => !stored.get(e.id)?.passed);
  const message = next && stored.get(next.id)?.message;
  return next && message ? { key: exerciseKey(l.lesson, next.id), message } : undefined;
}

/** Progress as CSV: one row per learner, one column per exercise (1 = passed). */
export function dashboardCsv(d: Omit<Dashboard, 'host'>): string {
  const header = ['name', 'joined_at', 'current_lesson', 'passed_count', ...d.exercises.map((e) => e.key)];
  const rows = d.learners.map((l) => {
    const passed = new Set(l.passed);
    return [l.name, new Date(l.joinedAt).toISOString(), l.lesson ?? '', String(l.passed.length), ...d.exercises.map((e) => (passed.has(e.key) ? '1' : '0'))];
  });
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Quote as RFC 4180 wants, and defuse cells a spreadsheet would run as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
