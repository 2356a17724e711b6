/**
 * Learner networks (bridges named `swb*`, see provision.ts) reach their own nodes and the
 * registry mirror, nothing else, over IPv4 and IPv6:
 * - INPUT (SWB-INPUT): nothing on this host but the mirror's own address and port (and replies to our
 *   own calls);
 * - FORWARD (SWB-FORWARD, jumped to from DOCKER-USER, which Docker never flushes): traffic that
 *   stays on one learner bridge passes (a learner's own nodes); everything routed in or out of a
 *   learner bridge is refused: other learners, other private ranges, 169.254/16, the internet.
 * Rules go in with iptables-restore (one atomic step per table), are checked every 15 s and put
 * back when something (a restarted dockerd, an operator's flush) removed them.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { MirrorEndpoint } from './mirror-address.ts';

const run = promisify(execFile);
const BRIDGES = 'swb+';
export const INPUT_CHAIN = 'SWB-INPUT';
export const FORWARD_CHAIN = 'SWB-FORWARD';
/** Mirror addresses of every instance on this host: added when missing, never flushed (test servers run side by side). */
export const MIRROR_CHAIN = 'SWB-MIRRORS';

type Family = 'iptables' | 'ip6tables';
const FAMILIES: Family[] = ['iptables', 'ip6tables'];

const mirrorRule = (m: MirrorEndpoint) => ['-d', `${m.addr}/32`, '-p', 'tcp', '--dport', String(m.port), '-j', 'ACCEPT'];
/** The rule of earlier versions: the mirror's port on every host address (a gateway's too). */
const anyAddressRule = (m: MirrorEndpoint) => ['-p', 'tcp', '--dport', String(m.port), '-j', 'ACCEPT'];

export function firewallRules(family: Family): { input: string[][]; forward: string[][] } {
  const unreachable = family === 'iptables' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  const refuse = (match: string[]): string[][] => [
    [...match, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
    [...match, '-j', 'REJECT', '--reject-with', unreachable],
  ];
  return {
    input: [
      ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
      // The mirror is reached over IPv4 (its own address, through the gateway) only.
      ...(family === 'iptables' ? [['-j', MIRROR_CHAIN]] : []),
      ...refuse([]),
    ],
    forward: [
      // Bridged (not routed) traffic between ports of one learner bridge: a learner's own nodes.
      ['-i', BRIDGES, '-o', BRIDGES, '-m', 'physdev', '--physdev-is-bridged', '-j', 'ACCEPT'],
      ...refuse(['-i', BRIDGES]),
      ...refuse(['-o', BRIDGES]),
    ],
  };
}

const jumps = (): { chain: string; rule: string[] }[] => [
  { chain: 'INPUT', rule: ['-i', BRIDGES, '-j', INPUT_CHAIN] },
  { chain: 'DOCKER-USER', rule: ['-j', FORWARD_CHAIN] },
  { chain: 'FORWARD', rule: ['-j', 'DOCKER-USER'] },
];

async function ok(bin: Family, args: string[]): Promise<boolean> {
  return run(bin, ['-w', ...args]).then(() => true, () => false);
}

async function restore(bin: Family, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(`${bin}-restore`, ['-w', '--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin}-restore: ${err.trim() || `exit ${code}`}`))));
    child.stdin.end(text);
  });
}

async function installFamily(bin: Family, mirror: MirrorEndpoint | null): Promise<void> {
  const { input, forward } = firewallRules(bin);
  // Declaring a chain in a --noflush restore creates or empties it; then the rules, atomically.
  const text = [
    '*filter',
    `:${INPUT_CHAIN} - [0:0]`,
    `:${FORWARD_CHAIN} - [0:0]`,
    ...(await ok(bin, ['-S', 'DOCKER-USER']) ? [] : [':DOCKER-USER - [0:0]']),
    ...(bin === 'iptables' && !(await ok(bin, ['-S', MIRROR_CHAIN])) ? [`:${MIRROR_CHAIN} - [0:0]`] : []),
    ...input.map((r) => [`-A ${INPUT_CHAIN}`, ...r].join(' ')),
    ...forward.map((r) => [`-A ${FORWARD_CHAIN}`, ...r].join(' ')),
    'COMMIT',
    '',
  ].join('\n');
  await restore(bin, text);
  if (bin === 'iptables' && mirror) {
    if (!(await ok(bin, ['-C', MIRROR_CHAIN, ...mirrorRule(mirror)]))) await run(bin, ['-w', '-A', MIRROR_CHAIN, ...mirrorRule(mirror)]);
    while (await ok(bin, ['-D', MIRROR_CHAIN, ...anyAddressRule(mirror)])); // left by an earlier version
  }
  for (const { chain, rule } of jumps()) {
    if (!(await ok(bin, ['-C', chain, ...rule]))) await run(bin, ['-w', '-I', chain, '1', ...rule]);
  }
}

export async function installFirewall(mirror: MirrorEndpoint | null): Promise<void> {
  for (const bin of FAMILIES) {
    try {
      await installFamily(bin, mirror);
    } catch (err) {
      throw new Error(`${bin}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * The firewall as the server needs it before any learner node can run: installed, or (SWB_FIREWALL=off)
 * a loud warning. Throws in words when it cannot be installed: the server must not start then.
 */
export async function fenceLearnerNetworks(enabled: boolean, mirror: MirrorEndpoint | null, log: { warn(msg: string): void }): Promise<void> {
  if (!enabled) {
    log.warn('SWB_FIREWALL=off: learner nodes can reach this host, other networks and the internet');
    return;
  }
  try {
    await installFirewall(mirror);
  } catch (err) {
    throw new Error(
      `Cannot install the firewall rules that keep learner nodes off this host, other networks and the internet (${err instanceof Error ? err.message : String(err)}). ` +
        'Run as root with iptables and ip6tables installed, or set SWB_FIREWALL=off to run without them (never with untrusted learners).',
    );
  }
}

/** Every rule and jump in place (checked one by one with `-C`)? */
export async function firewallIntact(mirror: MirrorEndpoint | null): Promise<boolean> {
  for (const bin of FAMILIES) {
    const { input, forward } = firewallRules(bin);
    const checks = [
      ...input.map((r) => [INPUT_CHAIN, ...r]),
      ...forward.map((r) => [FORWARD_CHAIN, ...r]),
      ...jumps().map((j) => [j.chain, ...j.rule]),
      ...(bin === 'iptables' && mirror ? [[MIRROR_CHAIN, ...mirrorRule(mirror)]] : []),
    ];
    for (const c of checks) if (!(await ok(bin, ['-C', ...c]))) return false;
  }
  return true;
}

/** Re-check every `intervalMs`; re-install (and say so) when rules went missing. Returns stop(). */
export function watchFirewall(
  mirror: MirrorEndpoint | null,
  intervalMs: number,
  log: { warn(msg: string, fields?: object): void; error(msg: string, fields?: object): void },
): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    firewallIntact(mirror)
      .then(async (intact) => {
        if (intact) return;
        log.warn('firewall rules for learner networks were missing (flushed?): putting them back');
        await installFirewall(mirror);
      })
      .catch((err) => log.error('could not re-install the learner firewall', { error: String(err) }))
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
