/**
 * Workshops and their learners on disk (embedded SQLite, its own file), so a
 * server restart brings the dashboard back. Only a hash of the instructor
 * secret is stored; learners point at their session by its id (itself a hash).
 */
import type Database from 'better-sqlite3';
import { openDatabase } from '../db.ts';

export interface WorkshopRow {
  id: string;
  title: string;
  lessons: string[];
  capacity: number;
  startsAt: number;
  endsAt: number;
  learnersMayReset: boolean;
  secretHash: string;
  joinCode: string;
  createdAt: number;
  endedAt: number | null;
  /** Clusters the instructor asked to have warm (expected head count). */
  expected: number;
  /** From when the pool keeps `expected` clusters warm (shortly before the start, or when the instructor presses Pre-warm). */
  prewarmAt: number;
}

export interface LearnerRow {
  id: string;
  workshopId: string;
  name: string;
  sessionId: string;
  joinedAt: number;
  lesson: string | null;
  /** Passed exercise keys frozen when the workshop ended (the sessions are gone then). */
  finalPassed: string[] | null;
}

const MIGRATIONS = [
  `CREATE TABLE workshops (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     lessons TEXT NOT NULL,
     capacity INTEGER NOT NULL,
     starts_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     learners_may_reset INTEGER NOT NULL,
     secret_hash TEXT NOT NULL,
     join_code TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     ended_at INTEGER,
     expected INTEGER NOT NULL DEFAULT 0
   );
   CREATE UNIQUE INDEX workshops_open_code ON workshops (join_code) WHERE ended_at IS NULL;
   CREATE TABLE learners (
     id TEXT PRIMARY KEY,
     workshop_id TEXT NOT NULL REFERENCES workshops (id),
     name TEXT NOT NULL,
     session_id TEXT NOT NULL,
     joined_at INTEGER NOT NULL,
     lesson TEXT,
     final_passed TEXT
   );
   CREATE UNIQUE INDEX learners_session ON learners (workshop_id, session_id);`,
  // 0 = at once, as before this column existed.
  `ALTER TABLE workshops ADD COLUMN prewarm_at INTEGER NOT NULL DEFAULT 0`,
];

interface RawWorkshop extends Omit<WorkshopRow, 'lessons' | 'learnersMayReset'> {
  lessons: string;
  learnersMayReset: number;
}
interface RawLearner extends Omit<LearnerRow, 'finalPassed'> {
  finalPassed: string | null;
}

const WORKSHOP_COLUMNS = `id, title, lessons, capacity, starts_at AS startsAt, ends_at AS endsAt, learners_may_reset AS learnersMayReset,
  secret_hash AS secretHash, join_code AS joinCode, created_at AS createdAt, ended_at AS endedAt, expected, prewarm_at AS prewarmAt`;
const LEARNER_COLUMNS = `id, workshop_id AS workshopId, name, session_id AS sessionId, joined_at AS joinedAt, lesson, final_passed AS finalPassed`;

const toWorkshop = (r: RawWorkshop | undefined): WorkshopRow | undefined =>
  r && { ...r, lessons: JSON.parse(r.lessons) as string[], learnersMayReset: r.learnersMayReset === 1 };
const toLearner = (r: RawLearner): LearnerRow => ({ ...r, finalPassed: r.finalPassed === null ? null : (JSON.parse(r.finalPassed) as string[]) });

export class WorkshopStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openDatabase(file, 'workshops', MIGRATIONS);
  }

  insertWorkshop(w: WorkshopRow): void {
    this.db
      .prepare(
        `INSERT INTO workshops (id, title, lessons, capacity, starts_at, ends_at, learners_may_reset, secret_hash, join_code, created_at, ended_at, expected, prewarm_at)
         VALUES (@id, @title, @lessons, @capacity, @startsAt, @endsAt, @learnersMayReset, @secretHash, @joinCode, @createdAt, @endedAt, @expected, @prewarmAt)`,
      )
      .run({ ...w, lessons: JSON.stringify(w.lessons), learnersMayReset: w.learnersMayReset ? 1 : 0 });
  }

  workshop(id: string): WorkshopRow | undefined {
    return toWorkshop(this.db.prepare(`SELECT ${WORKSHOP_COLUMNS} FROM workshops WHERE id = ?`).get(id) as RawWorkshop | undefined);
  }

  /** The open workshop with this join code (codes of ended workshops may be reused). */
  byCode(code: string): WorkshopRow | undefined {
    return toWorkshop(this.db.prepare(`SELECT ${WORKSHOP_COLUMNS} FROM workshops WHERE join_code = ? AND ended_at IS NULL`).get(code) as RawWorkshop | undefined);
  }

  openWorkshops(): WorkshopRow[] {
    return (this.db.prepare(`SELECT ${WORKSHOP_COLUMNS} FROM workshops WHERE ended_at IS NULL`).all() as RawWorkshop[]).map((r) => toWorkshop(r)!);
  }

  /** Warm clusters for `expected` learners from `prewarmAt` on. */
  setExpected(id: string, expected: number, prewarmAt: number): void {
    this.db.prepare('UPDATE workshops SET expected = ?, prewarm_at = ? WHERE id = ?').run(expected, prewarmAt, id);
  }

  /** Mark ended and freeze each learner's passed exercises, in one transaction. */
  end(id: string, finalPassed: Map<string, string[]>, now = Date.now()): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE workshops SET ended_at = ?, expected = 0 WHERE id = ? AND ended_at IS NULL').run(now, id);
      const freeze = this.db.prepare('UPDATE learners SET final_passed = ? WHERE id = ?');
      for (const [learnerId, passed] of finalPassed) freeze.run(JSON.stringify(passed), learnerId);
    })();
  }

  /**
   * Add a learner unless the workshop is full, atomically (two learners
   * joining for the last place cannot both get it). Returns false when full.
   */
  addLearner(l: Omit<LearnerRow, 'finalPassed' | 'lesson'>, capacity: number): boolean {
    return this.db.transaction(() => {
      const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM learners WHERE workshop_id = ?').get(l.workshopId) as { n: number };
      if (n >= capacity) return false;
      this.db
        .prepare('INSERT INTO learners (id, workshop_id, name, session_id, joined_at) VALUES (@id, @workshopId, @name, @sessionId, @joinedAt)')
        .run(l);
      return true;
    })();
  }

  learners(workshopId: string): LearnerRow[] {
    return (this.db.prepare(`SELECT ${LEARNER_COLUMNS} FROM learners WHERE workshop_id = ? ORDER BY joined_at, id`).all(workshopId) as RawLearner[]).map(toLearner);
  }

  learnerCount(workshopId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM learners WHERE workshop_id = ?').get(workshopId) as { n: number }).n;
  }

  /** The learner this session is, in an open workshop. */
  learnerBySession(sessionId: string): LearnerRow | undefined {
    const row = this.db
      .prepare(
        `SELECT ${LEARNER_COLUMNS.split(', ').map((c) => `l.${c}`).join(', ')} FROM learners l JOIN workshops w ON w.id = l.workshop_id
         WHERE l.session_id = ? AND w.ended_at IS NULL ORDER BY l.joined_at DESC LIMIT 1`,
      )
      .get(sessionId) as RawLearner | undefined;
    return row && toLearner(row);
  }

  /** When the open workshop this session learns in ends (its cluster is kept until then), or undefined. */
  openUntil(sessionId: string): number | undefined {
    const row = this.db
      .prepare('SELECT MAX(w.ends_at) AS endsAt FROM learners l JOIN workshops w ON w.id = l.workshop_id WHERE l.session_id = ? AND w.ended_at IS NULL')
      .get(sessionId) as { endsAt: number | null };
    return row.endsAt ?? undefined;
  }

  setLesson(learnerId: string, lesson: string | null): void {
    this.db.prepare('UPDATE learners SET lesson = ? WHERE id = ?').run(lesson, learnerId);
  }

  close(): void {
    this.db.close();
  }
}
