/**
 * Which clusters were ever handed to a learner, on disk, written before the learner gets the
 * cluster. After a restart (even kill -9) only clusters never handed out may go back to the warm
 * pool: a learner may have left anything in the others (files, images, a backdoor for the next one).
 */
import type Database from 'better-sqlite3';
import { openDatabase } from '../db.ts';

const MIGRATIONS = [`CREATE TABLE handed_out (cluster_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`];

export class HandoutStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openDatabase(file, 'handouts', MIGRATIONS);
  }

  mark(clusterId: string): void {
    this.db.prepare('INSERT OR IGNORE INTO handed_out (cluster_id, at) VALUES (?, ?)').run(clusterId, Date.now());
  }

  /** The cluster is gone (torn down): its record goes too. */
  clear(clusterId: string): void {
    this.db.prepare('DELETE FROM handed_out WHERE cluster_id = ?').run(clusterId);
  }

  all(): Set<string> {
    return new Set((this.db.prepare('SELECT cluster_id AS id FROM handed_out').all() as { id: string }[]).map((r) => r.id));
  }

  close(): void {
    this.db.close();
  }
}
