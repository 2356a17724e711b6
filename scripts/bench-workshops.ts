/**
 * Workshop figures for `npm run bench` (also runnable alone: `npx tsx scripts/bench-workshops.ts`):
 * the cost of one dashboard refresh (every open dashboard recomputes once a second) for a room of
 * learners with progress in every lesson, on a real SQLite progress store, beside the floor of
 * reading the same rows in one query. No engine needed. Prints numbers; asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LessonCatalog } from '../sandbox-server/src/checks/catalog.ts';
import { ProgressStore } from '../sandbox-server/src/checks/progress.ts';
import { openDatabase } from '../sandbox-server/src/db.ts';
import { createLogger } from '../sandbox-server/src/log.ts';
import type { LearnerSession } from '../sandbox-server/src/sessions/manager.ts';
import { computeDashboard } from '../sandbox-server/src/workshops/dashboard.ts';
import type { LearnerRow, WorkshopRow } from '../sandbox-server/src/workshops/store.ts';
import { repoRoot } from './lib/prepare.ts';

const line = (what: string, value: string, baseline = '', note = '') => console.log(`${what.padEnd(44)} ${value.padEnd(22)} ${baseline.padEnd(36)} ${note}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(fn: () => void, rounds: number): number {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export async function benchWorkshops(learnerCount = 40): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-bench-ws-'));
  try {
    const catalog = new LessonCatalog(path.join(repoRoot, 'content/lessons'), createLogger('json', {}, 'silent'));
    const lessons = catalog.slugs();
    const file = path.join(dir, 'sessions.db');
    const progress = new ProgressStore(file);
    const now = Date.now();
    const learners: LearnerRow[] = [];
    for (let i = 0; i < learnerCount; i++) {
      const sessionId = `session-${i}`;
      // Everyone somewhere along the course: passes up to a point, a failing message on the next exercise.
      const reach = Math.floor((i / learnerCount) * lessons.length);
      lessons.forEach((lesson, li) => {
        for (const ex of catalog.get(lesson)?.exercises ?? []) {
          progress.record(sessionId, lesson, ex.id, li < reach, li < reach ? 'ok' : 'no service named `web` (services: `x`)', { clusterId: 'c', now });
        }
      });
      learners.push({ id: `l${i}`, workshopId: 'w', name: `Learner ${i}`, sessionId, joinedAt: now, lesson: lessons[reach] ?? null, finalPassed: null });
    }
    const workshop: WorkshopRow = {
      id: 'benchworkshop', title: 'Bench', lessons, capacity: learnerCount, startsAt: now, endsAt: now + 3600_000, learnersMayReset: true,
      secretHash: '', joinCode: 'BENCH2', createdAt: now, endedAt: null, expected: 0, prewarmAt: now,
    };
    const session = { info: { status: 'ready', nodes: [], hostLimits: [] }, connections: 1 } as unknown as LearnerSession;
    const refresh = () =>
      computeDashboard({
        workshop, learners, lessons: catalog, progress,
        session: () => session, online: () => true, pool: { ready: 0, target: 0, hostLimit: 40 }, catchUp: () => undefined, stuckAfterMs: 600_000,
      });
    refresh(); // warm the catalog cache and the statements
    const ours = time(refresh, 50);
    const db = openDatabase(file, 'bench-read', []);
    const floor = time(() => db.prepare('SELECT * FROM exercise_progress').all(), 50);
    const exercises = refresh().exercises.length;
    line(`dashboard refresh (${learnerCount} learners x ${exercises} ex.)`, `${ours.toFixed(2)} ms`, `one-query read of the rows ${floor.toFixed(2)} ms`, `= ${(ours / 10).toFixed(2)} % of a core per open dashboard at 1/s`);
    db.close();
    progress.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchWorkshops();
