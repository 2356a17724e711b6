/**
 * Workshops, wired: their own SQLite file beside the sessions, the service and
 * its HTTP/WebSocket handlers. The sandbox composes these handlers before its own.
 */
import path from 'node:path';
import type { ClusterPool } from '../clusters/pool.js';
import type { Logger } from '../log.js';
import type { SessionManager } from '../sessions/manager.js';
import type { LessonSource, ProgressSource } from './dashboard.js';
import { createWorkshopHttp, type WorkshopHttp } from './http.js';
import type { CatchUpRunner } from './catch-ups.js';
import { WorkshopService } from './service.js';
import { WorkshopStore } from './store.js';

export interface Workshops {
  service: WorkshopService;
  http: WorkshopHttp;
  close(): void;
}

/** The workshops' own SQLite file; opened before the sessions, whose reaper asks it which sessions a workshop keeps. */
export function openWorkshopStore(dataDir: string, instance: string): WorkshopStore {
  return new WorkshopStore(path.join(dataDir, `workshops-${instance}.db`));
}

export function startWorkshops(deps: {
  store: WorkshopStore;
  sessions: SessionManager;
  pool: ClusterPool;
  basePoolSize: number;
  lessons: LessonSource & { slugs(): string[] };
  progress: ProgressSource;
  checks: CatchUpRunner;
  hasRoom: () => boolean;
  maxClusters: number;
  sessionMaxAgeSeconds: number;
  log: Logger;
}): Workshops {
  const { store } = deps;
  const log = deps.log.child({ part: 'workshops' });
  const service = new WorkshopService({ store, sessions: deps.sessions, pool: deps.pool, basePoolSize: deps.basePoolSize, lessons: deps.lessons, progress: deps.progress, checks: deps.checks, hasRoom: deps.hasRoom, maxClusters: deps.maxClusters, log });
  const http = createWorkshopHttp({ service, sessions: deps.sessions, sessionMaxAgeSeconds: deps.sessionMaxAgeSeconds, log });
  return {
    service,
    http,
    close() {
      http.close();
      service.close();
      store.close();
    },
  };
}
