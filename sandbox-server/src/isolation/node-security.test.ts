import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DROPPED_CAPS, droppedCaps, NODE_CAPS, nodeSecurityOpts, seccompProfile } from './node-security.ts';
import { allowedSyscalls, KEYRING, nodeSeccomp } from './seccomp.ts';
import { firewallRules } from './firewall.ts';
import { freeRangeStart } from '../engine/learner.ts';

test('the seccomp profile is an allow-list that refuses what the issue names and lets a nested engine work', () => {
  const profile = nodeSeccomp();
  assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO', 'anything not named is refused, including syscalls newer kernels add');
  assert.equal(JSON.parse(seccompProfile()).defaultAction, 'SCMP_ACT_ERRNO', 'the profile the nodes get is this one');
  const allowed = allowedSyscalls(profile);
  for (const name of ['init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load', 'bpf', 'perf_event_open',
    'open_by_handle_at', 'clock_settime', 'settimeofday', 'clock_adjtime', 'reboot', 'swapon', 'syslog', 'io_uring_setup',
    'userfaultfd', 'add_key', 'quotactl', 'iopl', 'acct', 'fanotify_init']) {
    assert.ok(!allowed.has(name), `${name} is refused`);
  }
  for (const needed of ['mount', 'umount2', 'setns', 'pivot_root', 'sethostname', 'chroot', 'ptrace', 'io_submit']) {
    assert.ok(allowed.has(needed), `${needed} stays allowed for the nested engine`);
  }
  // clone and unshare are allowed only without CLONE_NEWUSER; clone3 falls back to clone.
  const ns = profile.syscalls.find((r) => r.names.includes('unshare'))!;
  assert.deepEqual(ns.args, [{ index: 0, value: 0x10000000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  assert.ok(profile.syscalls.some((r) => r.names.includes('clone3') && r.errnoRet === 38));
  // The keyring answers ENOSYS (runc in a node then skips its session keyring; EPERM would fail it).
  for (const name of KEYRING) {
    assert.ok(!allowed.has(name), `${name} is refused`);
    assert.ok(profile.syscalls.some((r) => r.names.includes(name) && r.errnoRet === 38), `${name} answers ENOSYS`);
  }
});

test('nodes get no dropped capability, never privileged, no extra devices', () => {
  for (const cap of NODE_CAPS) assert.ok(!(cap in DROPPED_CAPS), cap);
  for (const mode of ['userns', 'hardened'] as const) {
    const hc = nodeSecurityOpts(mode);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    for (const cap of hc.CapAdd!) assert.ok(!(cap in droppedCaps(mode)), `${mode}: ${cap}`);
    assert.equal(hc.Privileged, undefined);
    assert.equal(hc.DeviceCgroupRules, undefined);
    assert.ok(hc.SecurityOpt!.some((o: string) => o.startsWith('seccomp={')));
  }
  // ptrace reaches only the node's own processes in a user namespace; on the host engine, never.
  assert.ok(nodeSecurityOpts('userns').CapAdd!.includes('SYS_PTRACE'));
  assert.ok(!nodeSecurityOpts('hardened').CapAdd!.includes('SYS_PTRACE') && 'SYS_PTRACE' in droppedCaps('hardened'));
  assert.ok(nodeSecurityOpts('hardened').ReadonlyPaths!.includes('/proc/sys/kernel'));
  assert.ok(!nodeSecurityOpts('hardened').ReadonlyPaths!.some((p) => p === '/proc/sys' || p.startsWith('/proc/sys/net')));
});

test('firewall: mirror open on IPv4 only, same-bridge traffic only, refusals last', () => {
  const v4 = firewallRules('iptables');
  assert.ok(v4.input.some((r) => r.includes('SWB-MIRRORS')));
  assert.ok(!firewallRules('ip6tables').input.some((r) => r.includes('SWB-MIRRORS')));
  assert.deepEqual(v4.forward[0], ['-i', 'swb+', '-o', 'swb+', '-m', 'physdev', '--physdev-is-bridged', '-j', 'ACCEPT']);
  assert.ok(v4.forward.slice(1).every((r) => r.includes('REJECT')));
  assert.ok(firewallRules('ip6tables').input.at(-1)!.includes('icmp6-port-unreachable'));
});

test('subordinate id ranges start above every range handed out', () => {
  assert.equal(freeRangeStart(''), 200_000);
  assert.equal(freeRangeStart('alice:100000:65536\nbob:300000:65536\n'), 365_536);
});

test('subnets already routed on this host (another engine\'s networks) are not handed out again', async () => {
  const { routedSubnets } = await import('../clusters/provision.ts');
  const table = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n' +
    'swb36f6ba1620\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n';
  assert.deepEqual([...routedSubnets(table)], ['10.89.0.0/24']);
});
