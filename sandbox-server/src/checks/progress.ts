/**
 * Exercise progress per learner, in the same SQLite file as the sessions, so
 * it survives a reload and a server restart. A passed exercise stays passed
 * (unless its check says `hold: true`); Apply solution is recorded too, for
 * the instructor's view later.
 */
import type Database from 'better-sqlite3';
import { openDatabase } from '../db.ts';

export interface ExerciseProgress {
  lesson: string;
  exerciseId: string;
  passed: boolean;
  /** First time it passed (ms epoch), null if never. */
  passedAt: number | null;
  /** Last time the learner used Apply solution, null if never. */
  appliedAt: number | null;
  /** The last verdict's message. */
  message: string;
  updatedAt: number;
  /** The cluster it last passed on (null: passed before this was kept). After a reset the state is gone. */
  clusterId: string | null;
}

const MIGRATIONS = [
  `CREATE TABLE exercise_progress (
     session_id TEXT NOT NULL,
     lesson TEXT NOT NULL,
     exercise_id TEXT NOT NULL,
     passed INTEGER NOT NULL DEFAULT 0,
     passed_at INTEGER,
     applied_at INTEGER,
     message TEXT NOT NULL DEFAULT '',
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (session_id, lesson, exercise_id)
   )`,
  `ALTER TABLE exercise_progress ADD COLUMN cluster_id TEXT`,
];

interface Row {
  lesson: string;
  exerciseId: string;
  passed: number;
  passedAt: number | null;
  appliedAt: number | null;
  message: string;
  updatedAt: number;
  clusterId: string | null;
}

export class ProgressStore {
  private readonly db: Database.Database;
  /** Prepared once: every check round and every dashboard refresh reads through it. */
  private readonly lessonRows: Database.Statement<[string, string], Row>;

  constructor(file: string) {
    this.db = openDatabase(file, 'exercise-progress', MIGRATIONS);
    this.lessonRows = this.db.prepare(
      `SELECT lesson, exercise_id AS exerciseId, passed, passed_at AS passedAt, applied_at AS appliedAt, message, updated_at AS updatedAt,
         cluster_id AS clusterId
       FROM exercise_progress WHERE session_id = ? AND lesson = ?`,
    );
  }

  /** Every exercise of a lesson the learner has a record for. */
  lesson(sessionId: string, lesson: string): Map<string, ExerciseProgress> {
    return new Map(this.lessonRows.all(sessionId, lesson).map((r) => [r.exerciseId, { ...r, passed: r.passed === 1 }]));
  }

  /**
   * Record a verdict. A pass is kept with its first time and the cluster it
   * happened on; the message of a verdict that does not pass is kept too (the
   * instructor's dashboard groups the room's failing messages). Returns true
   * when the stored row changed.
   */
  record(
    sessionId: string,
    lesson: string,
    exerciseId: string,
    passed: boolean,
    message: string,
    { clusterId = null, now = Date.now() }: { clusterId?: string | null; now?: number } = {},
  ): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO exercise_progress (session_id, lesson, exercise_id, passed, passed_at, message, updated_at, cluster_id)
         VALUES (@sessionId, @lesson, @exerciseId, @passed, CASE WHEN @passed = 1 THEN @now END, @message, @now, CASE WHEN @passed = 1 THEN @clusterId END)
         ON CONFLICT(session_id, lesson, exercise_id) DO UPDATE SET
           passed = excluded.passed,
           passed_at = COALESCE(exercise_progress.passed_at, excluded.passed_at),
           message = excluded.message,
           updated_at = excluded.updated_at,
           cluster_id = COALESCE(excluded.cluster_id, exercise_progress.cluster_id)
         WHERE exercise_progress.passed != excluded.passed
           OR (excluded.passed = 0 AND exercise_progress.message != excluded.message)
           OR (excluded.passed = 1 AND excluded.cluster_id IS NOT NULL AND exercise_progress.cluster_id IS NOT excluded.cluster_id)`,
      )
      .run({ sessionId, lesson, exerciseId, passed: passed ? 1 : 0, message, clusterId, now });
    return info.changes > 0;
  }

  recordApplied(sessionId: string, lesson: string, exerciseId: string, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO exercise_progress (session_id, lesson, exercise_id, applied_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(session_id, lesson, exercise_id) DO UPDATE SET applied_at = excluded.applied_at, updated_at = excluded.updated_at`,
      )
      .run(sessionId, lesson, exerciseId, now, now);
  }

  /** Forget one exercise's record (a learner or instructor starts it over). */
  forget(sessionId: string, lesson: string, exerciseId: string): void {
    this.db.prepare('DELETE FROM exercise_progress WHERE session_id = ? AND lesson = ? AND exercise_id = ?').run(sessionId, lesson, exerciseId);
  }

  /** Progress of sessions that no longer exist (their cookie can never come back). */
  pruneEndedSessions(): number {
    const hasSessions = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").get();
    if (!hasSessions) return 0;
    return this.db.prepare('DELETE FROM exercise_progress WHERE session_id NOT IN (SELECT id FROM sessions)').run().changes;
  }

  close(): void {
    this.db.close();
  }
}
