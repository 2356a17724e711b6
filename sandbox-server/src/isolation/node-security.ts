/**
 * The security options of every learner node, in both isolation modes (never `--privileged`):
 * - capabilities: all but those a Docker-in-Docker node does not need (loading modules, setting
 *   the clock, rebooting, raw I/O, the kernel log, BPF/perf, MAC policy, ...);
 * - seccomp: an allow-list derived from Docker's default (`seccomp.ts`);
 * - devices: Docker's default character devices only (no `DeviceCgroupRules`, no block devices);
 * - /proc and /sys: in `hardened` mode Docker's masked and read-only paths, except /proc/sys/net
 *   which the nested engine must write. In `userns` mode none: the kernel refuses a nested
 *   container's /proc mount when parts of the node's /proc are covered (mount_too_revealing),
 *   and in a user namespace what those paths guard (kernel sysctls, kcore, sysrq) is owned by
 *   the host's root and refused by the kernel itself.
 */
import type Docker from 'dockerode';
import type { Isolation } from '../engine/host.ts';
import { nodeSeccomp } from './seccomp.ts';

/**
 * The only capabilities a node gets (everything else is dropped, including capabilities newer
 * than this list): Docker's default set plus what a nested engine needs (SYS_ADMIN for mounts
 * and namespaces, NET_ADMIN for bridges, iptables and VXLAN, SYS_NICE, IPC_LOCK).
 */
export const NODE_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'SETFCAP',
  'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE',
  'SYS_ADMIN', 'NET_ADMIN', 'SYS_NICE', 'IPC_LOCK',
];

/**
 * SYS_PTRACE only in a user namespace, where it reaches no process but the node's own. runc needs
 * it to join the namespaces of a process that switched to another uid (the kernel then marks it
 * non-dumpable): without it `docker exec` into MySQL fails with "error executing setns process".
 */
export function nodeCaps(isolation: Isolation): string[] {
  return isolation === 'userns' ? [...NODE_CAPS, 'SYS_PTRACE'] : NODE_CAPS;
}

/** The capabilities a node of this isolation must not have (bit numbers, for reading CapEff). */
export function droppedCaps(isolation: Isolation): Record<string, number> {
  if (isolation === 'hardened') return DROPPED_CAPS;
  const { SYS_PTRACE: _inUserns, ...rest } = DROPPED_CAPS;
  return rest;
}

/** Capabilities a node never has (but SYS_PTRACE in a user namespace, see `nodeCaps`); the escape probes read CapEff for these bits. */
export const DROPPED_CAPS: Record<string, number> = {
  DAC_READ_SEARCH: 2, LINUX_IMMUTABLE: 9, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_PTRACE: 19, SYS_PACCT: 20,
  SYS_BOOT: 22, SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, LEASE: 28, AUDIT_CONTROL: 30, MAC_OVERRIDE: 32,
  MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

let seccomp: string | undefined;
export function seccompProfile(): string {
  seccomp ??= JSON.stringify(nodeSeccomp());
  return seccomp;
}

const MASKED = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
// Docker's read-only paths with /proc/sys split so /proc/sys/net stays writable.
const READ_ONLY = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger',
  ...['abi', 'crypto', 'debug', 'dev', 'fs', 'kernel', 'user', 'vm'].map((d) => `/proc/sys/${d}`),
];

/** HostConfig for a Docker-in-Docker node: explicit capabilities, seccomp, default devices only. */
export function nodeSecurityOpts(isolation: Isolation): Docker.HostConfig {
  return {
    CapDrop: ['ALL'],
    CapAdd: nodeCaps(isolation),
    SecurityOpt: [`seccomp=${seccompProfile()}`, 'apparmor=unconfined'],
    MaskedPaths: isolation === 'userns' ? [] : MASKED,
    ReadonlyPaths: isolation === 'userns' ? [] : READ_ONLY,
    // No bind of the host's /sys/fs/cgroup: the node image remounts its own cgroups
    // writable, so inner containers stay under the node's memory/CPU/pids limits.
  };
}
