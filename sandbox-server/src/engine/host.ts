/**
 * What this host can do, detected once at start-up and passed in: how learner nodes are
 * isolated (a user-namespaced learner engine, or hardened capabilities on the host engine),
 * IPVS for swarm VIPs and the routing mesh, and the cgroup version. `--privileged` is never used.
 */
import fs from 'node:fs';
import os from 'node:os';

/** `userns`: nodes in a user namespace on the learner engine; `hardened`: capabilities only, on the host engine. */
export type Isolation = 'userns' | 'hardened';

export interface HostFacts {
  isolation: Isolation;
  /** Why the user-namespaced engine is not used (empty when it is). */
  isolationNote: string;
  ipvs: boolean;
  cgroup: 'v1' | 'v2';
  /** Sentences for the learner UI about what this host cannot do. */
  limits: string[];
}

export const NO_IPVS_LIMIT =
  'This host has no IPVS: swarm service VIPs and the ingress routing mesh do not work here. ' +
  'Use --endpoint-mode dnsrr and --publish mode=host; on an ordinary host the default commands work.';

export const HARDENED_LIMIT =
  'This host runs learner nodes without a user namespace (hardened capabilities only): ' +
  'a node\'s root is closer to the host\'s root than it should be. Ask the operator to run `npm run doctor`.';

export function detectHostFacts(isolation: Isolation, isolationNote: string): HostFacts {
  const ipvs = hasIpvs();
  const cgroup = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
  const limits = [...(isolation === 'hardened' ? [HARDENED_LIMIT] : []), ...(ipvs ? [] : [NO_IPVS_LIMIT])];
  return { isolation, isolationNote, ipvs, cgroup, limits };
}

/** IPVS is there if loaded, or loadable as a module or built in (dockerd loads it on demand). */
function hasIpvs(): boolean {
  if (fs.existsSync('/proc/net/ip_vs')) return true;
  const modules = `/lib/modules/${os.release()}`;
  for (const file of ['modules.dep', 'modules.builtin']) {
    try {
      if (fs.readFileSync(`${modules}/${file}`, 'utf8').includes('/ip_vs.ko')) return true;
    } catch {
      // No module list (e.g. a VM kernel without /lib/modules): fall through.
    }
  }
  return false;
}
