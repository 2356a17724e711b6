/**
 * What in the cluster an exercise is about, derived on the server from the exercise's declared
 * check (the check itself never goes to the browser). The browser matches it against the picture
 * with focusedServices (layout.ts).
 */
import type { Check } from '../../../contract/checks.ts';
import type { ClusterFocus } from '../../../contract/protocol.ts';

type ServiceMatch = { name: string } | { image: string; port: number };

/** The first service a check names (service, spread and rescheduled checks; inside all/any). */
export function focusOfCheck(check: Check | undefined): ClusterFocus | undefined {
  if (!check) return undefined;
  const fromMatch = (m: ServiceMatch): ClusterFocus => ('name' in m ? { service: m.name } : { image: m.image, port: m.port });
  if ('service' in check) return fromMatch(check.service.match as ServiceMatch);
  if ('spread' in check) return fromMatch(check.spread.service.match as ServiceMatch);
  if ('rescheduled' in check) return fromMatch(check.rescheduled.service.match as ServiceMatch);
  if ('rollout' in check) return fromMatch(check.rollout.service.match as ServiceMatch);
  if ('secret' in check) return fromMatch(check.secret.service.match as ServiceMatch);
  if ('all' in check || 'any' in check) {
    for (const c of 'all' in check ? check.all : check.any) {
      const f = focusOfCheck(c);
      if (f) return f;
    }
  }
  return undefined;
}
