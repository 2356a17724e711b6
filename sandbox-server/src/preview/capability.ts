/**
 * Preview capabilities: who may open a learner's published port, and the capability address
 * `/sandbox/preview/<clusterId>/<node>/<port>~<token>/<path>` that carries that right without a
 * cookie (why: see proxy.ts). The token is an HMAC (per-process secret) over the owner's session id,
 * cluster, node, port and an expiry: it opens exactly one port of one node, and dies with the
 * cluster, the owner's session, a server restart, or after TOKEN_TTL_MS, whichever comes first.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { nodeName, paths, previewPath } from '@contract/protocol.ts';
import type { LiveCluster } from '../clusters/live.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';

export interface PreviewTarget {
  clusterId: string;
  node: string;
  port: number;
  /** The capability after `<port>~`, or null for the plain (entry) address. */
  token: string | null;
  /** Path on the node, starting with `/`; null when the URL lacks the slash after the port. */
  path: string | null;
}

/** How long a capability address works at most (it dies earlier with the cluster or the session). */
export const TOKEN_TTL_MS = 4 * 60 * 60_000;

/**
 * `/sandbox/preview/<clusterId>/<node>/<port>[~<token>][/<rest>]`, or null when the path is not one.
 * The token sits in the port segment so no path of the app can be mistaken for it.
 */
export function parsePreviewPath(pathname: string): PreviewTarget | null {
  const prefix = `${paths.preview}/`;
  if (!pathname.startsWith(prefix)) return null;
  const m = /^([0-9a-f]{6,32})\/([^/]+)\/([0-9]{1,5})(?:~([0-9a-z]{1,11}\.[A-Za-z0-9_-]{22}))?(\/.*)?$/.exec(pathname.slice(prefix.length));
  if (!m || !nodeName.safeParse(m[2]).success) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { clusterId: m[1]!, node: m[2]!, port, token: m[4] ?? null, path: m[5] ?? null };
}

/** Whether a request URL is a capability address (the only preview URLs an opaque origin may use). */
export function isPreviewCapabilityUrl(url: string | undefined): boolean {
  try {
    return !!parsePreviewPath(new URL(url ?? '/', 'http://local').pathname)?.token;
  } catch {
    return false;
  }
}

type Port = Pick<PreviewTarget, 'clusterId' | 'node' | 'port'>;

function tokenMac(secret: Buffer, ownerId: string, t: Port, exp: string): string {
  return crypto.createHmac('sha256', secret).update([ownerId, t.clusterId, t.node, String(t.port), exp].join('\n')).digest('base64url').slice(0, 22);
}

/** A capability for one port of one node of the owner's cluster, until `expiresAt` (ms). */
export function mintToken(secret: Buffer, ownerId: string, t: Port, expiresAt: number): string {
  const exp = Math.ceil(expiresAt / 1000).toString(36);
  return `${exp}.${tokenMac(secret, ownerId, t, exp)}`;
}

export function tokenValid(secret: Buffer, ownerId: string, t: Port, token: string, now: number): boolean {
  const [exp, mac] = token.split('.');
  if (!exp || !mac || parseInt(exp, 36) * 1000 <= now) return false;
  const want = Buffer.from(tokenMac(secret, ownerId, t, exp));
  const got = Buffer.from(mac);
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

/** One secret per process: a restart invalidates every capability (reopening the port mints a new one). */
const processSecret = crypto.randomBytes(32);

/**
 * Who may open a cluster's preview. Today only its owner; workshops will let the instructor of the
 * learner's workshop in here as well (viewer = instructor session, owner = learner).
 */
export function previewAllowed(viewer: LearnerSession, owner: LearnerSession): boolean {
  return viewer.id === owner.id;
}

/** What deciding access needs: the sessions, the requester's, and (tests) the capability secret, lifetime and clock. */
export interface PreviewAccessDeps {
  sessions: SessionManager;
  /** The requester's session from its cookie. */
  sessionOf: (req: http.IncomingMessage) => LearnerSession | undefined;
  /** Capability secret and lifetime (tests); default: a random per-process secret, TOKEN_TTL_MS. */
  tokenSecret?: Buffer;
  tokenTtlMs?: number;
  now?: () => number;
}

export type Access =
  /** `owner`: the owning session's id (per-session limits count against it). */
  | { ok: true; cluster: LiveCluster; ip: string; prefix: string; owner: string }
  /** A cookie of an allowed viewer on our own origin, but no (valid) capability: redirect to one. */
  | { ok: 'issue'; prefix: string }
  | { ok: false; status: number; title: string; text: string };

function prefixOf(t: Port, token: string | null): string {
  return previewPath(t.clusterId, t.node, t.port).slice(0, -1) + (token ? `~${token}` : '');
}

/**
 * The session cookie only counts on a request made by our own origin (the port badge, the address
 * bar): not from a preview's opaque origin or another site, even if a browser sent a cookie along.
 */
function fromOurOrigin(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // `null`: a sandboxed document
  }
}

export function authorize(req: http.IncomingMessage, target: PreviewTarget, deps: PreviewAccessDeps): Access {
  const secret = deps.tokenSecret ?? processSecret;
  const now = (deps.now ?? Date.now)();
  const owner = deps.sessions.ownerOfCluster(target.clusterId);
  const node = owner?.cluster?.node(target.node);
  if (target.token && owner?.cluster && node && tokenValid(secret, owner.id, target, target.token, now)) {
    return { ok: true, cluster: owner.cluster, ip: node.ip, prefix: prefixOf(target, target.token), owner: owner.id };
  }
  const viewer = fromOurOrigin(req) ? deps.sessionOf(req) : undefined;
  if (!viewer) {
    return target.token
      ? { ok: false, status: 401, title: 'This preview link has expired', text: 'Preview links work for a limited time and only while the cluster they belong to runs. Open the port again from your workbench.' }
      : { ok: false, status: 401, title: 'No sandbox session', text: 'Open this preview from your workbench (the session cookie is missing or expired).' };
  }
  if (!owner?.cluster) {
    return { ok: false, status: 404, title: 'This cluster is gone', text: 'The cluster this link points to was reset or has expired. Open the port again from your workbench.' };
  }
  if (!previewAllowed(viewer, owner)) return { ok: false, status: 403, title: 'Not your cluster', text: 'Only the learner who owns this cluster can open its ports.' };
  if (!node) return { ok: false, status: 404, title: 'No such node', text: `There is no node "${target.node}" in this cluster.` };
  const token = mintToken(secret, owner.id, target, now + (deps.tokenTtlMs ?? TOKEN_TTL_MS));
  return { ok: 'issue', prefix: prefixOf(target, token) };
}
