/**
 * Docker keeps learner networks apart from each other, but not from the host
 * itself: a node can reach any port the host binds on 0.0.0.0 through its
 * gateway. These INPUT rules close the host to every learner bridge (`swb*`,
 * see provision.ts) except the registry mirror and replies to our own calls.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHAIN = 'SWB-INPUT';
const BRIDGES = 'swb+';

export async function installFirewall(mirrorPort: number | null): Promise<void> {
  await run('iptables', ['-w', '-N', CHAIN]).catch(() => undefined); // exists already: fine
  await run('iptables', ['-w', '-F', CHAIN]);
  const rules: string[][] = [
    ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    ...(mirrorPort ? [['-p', 'tcp', '--dport', String(mirrorPort), '-j', 'ACCEPT']] : []),
    ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
    ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'],
  ];
  for (const rule of rules) await run('iptables', ['-w', '-A', CHAIN, ...rule]);
  const jump = ['INPUT', '-i', BRIDGES, '-j', CHAIN];
  const present = await run('iptables', ['-w', '-C', ...jump]).then(() => true, () => false);
  if (!present) await run('iptables', ['-w', '-I', ...jump]);
}
