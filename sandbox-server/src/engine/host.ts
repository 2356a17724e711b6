/**
 * What this host can do, detected once at start-up and passed in: whether
 * `--privileged` works (it does not on kernels whose bounding set lacks
 * CAP_SYS_RESOURCE), the capability set that works instead, IPVS for swarm
 * VIPs and the routing mesh, and the cgroup version.
 */
import fs from 'node:fs';
import os from 'node:os';
import type Docker from 'dockerode';

export type NodeSecurity = 'privileged' | 'capabilities';

export interface HostFacts {
  security: NodeSecurity;
  /** Why privileged mode was not used (empty when it was). */
  securityNote: string;
  ipvs: boolean;
  cgroup: 'v1' | 'v2';
  /** Sentences for the learner UI about what this host cannot do. */
  limits: string[];
}

export const NO_IPVS_LIMIT =
  'This host has no IPVS: swarm service VIPs and the ingress routing mesh do not work here. ' +
  'Use --endpoint-mode dnsrr and --publish mode=host; on an ordinary host the default commands work.';

/** HostConfig for a Docker-in-Docker node in the given security mode. */
export function nodeHostConfig(security: NodeSecurity): Docker.HostConfig {
  if (security === 'privileged') return { Privileged: true };
  return {
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    // The API form of the CLI's `--security-opt systempaths=unconfined`.
    MaskedPaths: [],
    ReadonlyPaths: [],
    // Character devices only: inner containers need /dev/null, ttys, etc.; no
    // block devices, so a learner cannot mknod the host's disk.
    DeviceCgroupRules: ['c *:* rwm'],
    // No bind of the host's /sys/fs/cgroup: the node image remounts its own cgroups
    // writable, so inner containers stay under the node's memory/CPU/pids limits.
  };
}

/** Try a throwaway privileged container; fall back to capabilities if the kernel refuses. */
export async function detectHostFacts(docker: Docker, probeImage: string): Promise<HostFacts> {
  let security: NodeSecurity = 'privileged';
  let securityNote = '';
  const probe = await docker.createContainer({
    Image: probeImage,
    Entrypoint: ['true'],
    Cmd: [],
    Labels: { 'swb.probe': '1' },
    HostConfig: { Privileged: true, AutoRemove: false },
  });
  try {
    await probe.start();
    await probe.wait();
  } catch (err) {
    security = 'capabilities';
    securityNote = `--privileged fails here (${err instanceof Error ? err.message.trim().slice(0, 160) : String(err)}); using an explicit capability set`;
  } finally {
    await probe.remove({ force: true }).catch(() => undefined);
  }
  const ipvs = hasIpvs();
  const cgroup = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
  return { security, securityNote, ipvs, cgroup, limits: ipvs ? [] : [NO_IPVS_LIMIT] };
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
