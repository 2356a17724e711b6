/** Small HTTP helpers the router and the routes share: cookies, bodies, origin and host checks, client addresses. */
import type http from 'node:http';
import net from 'node:net';
import { HttpError } from './errors.ts';

export function readCookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * Browsers send cookies on cross-site requests and WebSocket upgrades too: refuse other origins,
 * including `Origin: null` (sandboxed documents such as port previews, file: pages, some redirects),
 * unless the route says an opaque origin may use it (`opaqueAllowed`: a port preview's capability
 * address, which a preview in its opaque origin uses on purpose and which never acts on the cookie).
 */
export function sameOrigin(req: http.IncomingMessage, opaqueAllowed = false): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser, or a same-origin GET
  if (origin === 'null') return opaqueAllowed;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The body up to `limit` bytes; beyond it a 413 (read to the end so the client sees the answer). */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (size > 16 * limit) req.destroy(); // not a legitimate request: stop reading
    });
    req.on('end', () => (size > limit ? reject(new HttpError(413, `the request body is limited to ${limit} bytes`)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/**
 * What the operator said about how this server is reached (SWB_PUBLIC_URL, SWB_ALLOWED_HOSTS,
 * SWB_TRUSTED_PROXY): which Host names are answered, whether cookies are Secure, whose
 * X-Forwarded-For is believed.
 */
export interface HttpPolicy {
  /** Host names (no port) answered; others get 403 (a DNS-rebound name never reaches a route). */
  allowedHosts: ReadonlySet<string>;
  secureCookies: boolean;
  trustedProxies: ReadonlySet<string>;
}

export function httpPolicy(config: { SWB_PUBLIC_URL?: string; SWB_ALLOWED_HOSTS: string; SWB_TRUSTED_PROXY: string }): HttpPolicy {
  const hosts = new Set<string>();
  const pub = config.SWB_PUBLIC_URL ? new URL(config.SWB_PUBLIC_URL) : undefined;
  if (pub) hosts.add(pub.hostname.toLowerCase());
  else for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
  for (const h of list(config.SWB_ALLOWED_HOSTS)) hosts.add(h.toLowerCase());
  return {
    allowedHosts: hosts,
    secureCookies: pub?.protocol === 'https:',
    trustedProxies: new Set(list(config.SWB_TRUSTED_PROXY).map(normalizeIp)),
  };
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** The Host header's name without its port, lower-case ('' when missing or malformed). */
export function hostName(req: http.IncomingMessage): string {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0] ?? '';
}

/**
 * DNS rebinding needs a name the attacker controls: an address literal (a workshop room reaching the
 * server by its LAN address) and `localhost` cannot be rebound, so they are always answered.
 */
export function hostAllowed(req: http.IncomingMessage, policy: HttpPolicy): boolean {
  const host = hostName(req);
  if (host === 'localhost' || net.isIP(host.replace(/^\[|\]$/g, '')) !== 0) return true;
  return policy.allowedHosts.has(host);
}

/** Words for a refused Host (an operator reaching the server under a new name reads this). */
export function hostRefusal(req: http.IncomingMessage, policy: HttpPolicy): string {
  return `this server does not answer to the host name "${hostName(req) || '(none)'}" (it answers to ${[...policy.allowedHosts].join(', ')}). The operator sets SWB_PUBLIC_URL or SWB_ALLOWED_HOSTS to add it.`;
}

/** A Set-Cookie value with the attributes every cookie of ours carries (Secure behind https). */
export function cookie(policy: HttpPolicy, name: string, value: string, opts: { path?: string; maxAgeSeconds: number }): string {
  return `${name}=${value}; Path=${opts.path ?? '/'}; HttpOnly; SameSite=Strict; Max-Age=${opts.maxAgeSeconds}${policy.secureCookies ? '; Secure' : ''}`;
}

function normalizeIp(ip: string): string {
  const v = ip.trim().toLowerCase();
  return v.startsWith('::ffff:') && net.isIPv4(v.slice(7)) ? v.slice(7) : v;
}

/**
 * The learner's address: the socket's, or, when the socket is a trusted proxy, the nearest
 * X-Forwarded-For entry that is not itself a trusted proxy. Loopback gets no exemption.
 */
export function clientAddress(req: http.IncomingMessage, policy: HttpPolicy): string {
  let addr = normalizeIp(req.socket.remoteAddress ?? '');
  if (!policy.trustedProxies.has(addr)) return addr;
  const hops = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map(normalizeIp)
    .filter((h) => net.isIP(h));
  while (hops.length && policy.trustedProxies.has(addr)) addr = hops.pop()!;
  return addr;
}

/**
 * Who counts as one network for per-network limits: an IPv4 address, or an IPv6 /64 (one
 * subscriber's LAN: a host picks any address in it at will). IPv4-mapped IPv6 is its IPv4 address.
 */
export function networkOf(address: string): string {
  const addr = normalizeIp(address);
  if (!net.isIPv6(addr)) return addr;
  const [head, tail] = addr.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The network a request comes from (see clientAddress and networkOf): the key of every per-network limit. */
export function clientNetwork(req: http.IncomingMessage, policy: HttpPolicy): string {
  return networkOf(clientAddress(req, policy));
}
