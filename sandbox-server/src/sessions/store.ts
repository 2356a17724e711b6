/**
 * Learner sessions on disk (embedded SQLite), so a server restart adopts each
 * learner's cluster instead of orphaning it. Only a hash of the token is stored.
 */
import type Database from 'better-sqlite3';
import { openDatabase } from '../db.ts';

export interface SessionRow {
  id: string;
  clusterId: string | null;
  createdAt: number;
  lastSeen: number;
  /** The network that claimed the session's cluster (per-address limits survive a restart). */
  address?: string | null;
}

const MIGRATIONS = [
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     cluster_id TEXT,
     created_at INTEGER NOT NULL,
     last_seen INTEGER NOT NULL
   )`,
  `ALTER TABLE sessions ADD COLUMN address TEXT`,
];

export class SessionStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openDatabase(file, 'sessions', MIGRATIONS);
  }

  all(): SessionRow[] {
    return this.db
      .prepare('SELECT id, cluster_id AS clusterId, created_at AS createdAt, last_seen AS lastSeen, address FROM sessions')
      .all() as SessionRow[];
  }

  upsert(row: SessionRow): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id, cluster_id, created_at, last_seen, address) VALUES (@id, @clusterId, @createdAt, @lastSeen, @address)
         ON CONFLICT(id) DO UPDATE SET cluster_id = excluded.cluster_id, last_seen = excluded.last_seen, address = excluded.address`,
      )
      .run({ ...row, address: row.address ?? null });
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  close(): void {
    this.db.close();
  }
}
