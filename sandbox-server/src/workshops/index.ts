/**
 * Workshops, wired: their own SQLite file beside the sessions, the service and
 * its routes and sockets. The sandbox mounts these routes on its one router.
 */
import path from 'node:path';
import type { Route, Upgrade } from '../http/router.ts';
import { workshopRoutes, type WorkshopRouteDeps } from './routes.ts';
import { WorkshopService, type WorkshopServiceDeps } from './service.ts';
import { WorkshopStore } from './store.ts';

export { workshopStatus } from './routes.ts';

export interface Workshops {
  service: WorkshopService;
  routes: Route[];
  upgrades: Upgrade[];
  close(): void;
}

/** The workshops' own SQLite file; opened before the sessions, whose reaper asks it which sessions a workshop keeps. */
export function openWorkshopStore(dataDir: string, instance: string): WorkshopStore {
  return new WorkshopStore(path.join(dataDir, `workshops-${instance}.db`));
}

export function startWorkshops(deps: WorkshopServiceDeps & Pick<WorkshopRouteDeps, 'sessionMaxAgeSeconds' | 'policy' | 'adminToken'>): Workshops {
  const { store } = deps;
  const log = deps.log.child({ part: 'workshops' });
  const service = new WorkshopService({ ...deps, log });
  const { routes, upgrades } = workshopRoutes({ service, sessions: deps.sessions, sessionMaxAgeSeconds: deps.sessionMaxAgeSeconds, policy: deps.policy, adminToken: deps.adminToken, log });
  return {
    service,
    routes,
    upgrades,
    close() {
      service.close();
      store.close();
    },
  };
}
