/**
 * Which services of the picture an exercise is about. The server derives a focus from the
 * exercise's declared check (it never sends the check itself); the browser matches it against the
 * cluster picture. Browser-safe: only types come from the checks.
 */
import type { Check } from '../checks/schema.js';
import type { ClusterFocus, ClusterState } from '../protocol/index.js';
import { shortImage } from './model.js';

type ServiceMatch = { name: string } | { image: string; port: number };

/** The first service a check names (service, spread and rescheduled checks; inside all/any). */
export function focusOfCheck(check: Check | undefined): ClusterFocus | undefined {
  if (!check) return undefined;
  const fromMatch = (m: ServiceMatch): ClusterFocus => ('name' in m ? { service: m.name } : { image: m.image, port: m.port });
  if ('service' in check) return fromMatch(check.service.match as ServiceMatch);
  if ('spread' in check) return fromMatch(check.spread.service.match as ServiceMatch);
  if ('rescheduled' in check) return fromMatch(check.rescheduled.service.match as ServiceMatch);
  if ('all' in check || 'any' in check) {
    for (const c of 'all' in check ? check.all : check.any) {
      const f = focusOfCheck(c);
      if (f) return f;
    }
  }
  return undefined;
}

/** Names of the services in the picture that the focus points at. */
export function focusedServices(state: ClusterState, focus: ClusterFocus): string[] {
  return state.services
    .filter((s) => {
      if (focus.service) return s.name === focus.service;
      if (!focus.image) return false;
      const want = shortImage(focus.image);
      const sameImage = s.image === want || s.image.split(':')[0] === want;
      return sameImage && (focus.port === undefined || s.ports.some((p) => p.published === focus.port || p.target === focus.port));
    })
    .map((s) => s.name);
}
