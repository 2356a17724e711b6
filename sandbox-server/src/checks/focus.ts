/**
 * What in the cluster an exercise is about, derived on the server from the exercise's declared
 * check (the check itself never goes to the browser). The browser matches it against the picture
 * with focusedServices (layout.ts).
 */
import type { Check } from '@contract/checks.ts';
import type { ClusterFocus } from '@contract/protocol.ts';
import { entryOf } from './kinds.ts';

/** The first service a check names (kinds with `service` in kinds.ts; inside all/any). */
export function focusOfCheck(check: Check | undefined): ClusterFocus | undefined {
  if (!check) return undefined;
  if ('all' in check || 'any' in check) {
    for (const c of 'all' in check ? check.all : check.any) {
      const f = focusOfCheck(c);
      if (f) return f;
    }
    return undefined;
  }
  const m = entryOf(check).service();
  if (!m) return undefined;
  return 'name' in m ? { service: m.name } : { image: m.image, port: m.port };
}
