/**
 * Learner networks get /24 subnets from our own range. Docker's default pools
 * hold only ~30 bridge networks, which one workshop room would exhaust.
 */
import type Docker from 'dockerode';

/** Parse "10.89.0.0/16" into the /24 subnets it contains. */
export function subnetsOf(range: string): string[] {
  const m = range.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/);
  if (!m) throw new Error(`subnet range must look like 10.89.0.0/16, got "${range}"`);
  const prefix = Number(m[5]);
  if (prefix > 24 || prefix < 8) throw new Error(`subnet range prefix must be between /8 and /24, got /${prefix}`);
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8)) >>> 0;
  const start = base & (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0);
  const count = 2 ** (24 - prefix);
  return Array.from({ length: count }, (_, i) => {
    const n = (start + i * 256) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.0/24`;
  });
}

/** Subnets in `range` that no network on the engine uses yet, in order. */
export async function freeSubnets(docker: Docker, range: string): Promise<string[]> {
  const used = new Set<string>();
  for (const n of await docker.listNetworks()) {
    for (const c of n.IPAM?.Config ?? []) if (c.Subnet) used.add(c.Subnet);
  }
  return subnetsOf(range).filter((s) => !used.has(s));
}

/** The first address of a /24 is its gateway. */
export function gatewayOf(subnet: string): string {
  return subnet.replace(/\.0\/24$/, '.1');
}
