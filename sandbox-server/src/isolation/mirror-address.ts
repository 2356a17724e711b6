// The registry mirror's own address: a /32 on this host's loopback interface. Nodes reach it through
// their network's gateway (the host delivers it locally) and the firewall lets exactly this address
// and port in from learner networks; the mirror listens nowhere else, so neither the host's other
// interfaces nor the gateways themselves answer on its port.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where nodes pull lab images from. */
export interface MirrorEndpoint {
  addr: string;
  port: number;
}

/** `host:port`, as the nodes' `--registry-mirror` and `--insecure-registry` take it. */
export const mirrorHost = (m: MirrorEndpoint): string => `${m.addr}:${m.port}`;

/** Put `addr` on the loopback interface unless the host already has it (idempotent, needs root). */
export async function ensureMirrorAddress(addr: string): Promise<void> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']);
  if (stdout.includes(` ${addr}/`)) return;
  try {
    await run('ip', ['addr', 'add', `${addr}/32`, 'dev', 'lo']);
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr || err).trim();
    if (/exists/i.test(why)) return; // another instance added it meanwhile
    throw new Error(`mirror: could not put ${addr} on the loopback interface (${why}); run as root, or set SWB_MIRROR_ADDR to an address this host has`);
  }
}

/** The configured mirror, or null when nodes pull from Docker Hub (SWB_MIRROR=off). */
export function configuredMirror(config: { SWB_MIRROR: boolean; SWB_MIRROR_ADDR: string; SWB_MIRROR_PORT: number }): MirrorEndpoint | null {
  return config.SWB_MIRROR ? { addr: config.SWB_MIRROR_ADDR, port: config.SWB_MIRROR_PORT } : null;
}
