/**
 * Workshops, wired: their own SQLite file beside the sessions, the service and
 * its HTTP/WebSocket handlers. The sandbox composes these handlers before its own.
 */
import path from 'node:path';
import type { HttpRoutes } from '../http/request.ts';
import { createWorkshopHttp, type WorkshopHttpDeps } from './http.ts';
import { WorkshopService, type WorkshopServiceDeps } from './service.ts';
import { WorkshopStore } from './store.ts';

export interface Workshops {
  service: WorkshopService;
  http: HttpRoutes;
  close(): void;
}

/** The workshops' own SQLite file; opened before the sessions, whose reaper asks it which sessions a workshop keeps. */
export function openWorkshopStore(dataDir: string, instance: string): WorkshopStore {
  return new WorkshopStore(path.join(dataDir, `workshops-${instance}.db`));
}

export function startWorkshops(deps: WorkshopServiceDeps & Pick<WorkshopHttpDeps, 'sessionMaxAgeSeconds' | 'policy' | 'adminToken'>): Workshops {
  const { store } = deps;
  const log = deps.log.child({ part: 'workshops' });
  const service = new WorkshopService({ ...deps, log });
  const http = createWorkshopHttp({ service, sessions: deps.sessions, sessionMaxAgeSeconds: deps.sessionMaxAgeSeconds, policy: deps.policy, adminToken: deps.adminToken, log });
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
