/**
 * The header policy of port previews (why: see proxy.ts): every response runs in an opaque origin
 * (CSP sandbox), sniffs nothing and leaks no capability in Referer; headers of the app that would act
 * on our whole origin are dropped; no cookie of ours reaches the app; redirects to the node stay
 * inside the preview.
 */
import type http from 'node:http';

/** What every preview response says: an opaque origin, no sniffing, no Referer with the capability. */
export const PREVIEW_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';
export const SECURITY_HEADERS = {
  'Content-Security-Policy': PREVIEW_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export const CORS_FOR_OPAQUE = { 'Access-Control-Allow-Origin': 'null', 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } as const;

/** Headers of the app that would act on our whole origin rather than on this document. */
const DROPPED = new Set([
  'set-cookie',
  'set-cookie2',
  'clear-site-data',
  'strict-transport-security',
  'alt-svc',
  'nel',
  'report-to',
  'reporting-endpoints',
  'origin-agent-cluster',
  'service-worker-allowed',
  'accept-ch',
  'critical-ch',
  // ours replace them
  'referrer-policy',
  'x-content-type-options',
]);

/** The app's response headers as the browser gets them: see the file comment. */
export function responseHeaders(
  up: http.IncomingHttpHeaders,
  o: { prefix: string; ip: string; target: { node: string; port: number }; opaqueOrigin: boolean },
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(up)) {
    if (value === undefined || HOP_BY_HOP.has(name) || DROPPED.has(name)) continue;
    if (o.opaqueOrigin && name.startsWith('access-control-')) continue;
    headers[name] = name === 'location' && typeof value === 'string' ? rewriteLocation(value, o.prefix, o.ip, o.target) : value;
  }
  // Two header lines: the app's policies (if any; Node joins repeated lines with commas, which CSP
  // reads as separate policies) and ours. Every policy is enforced, so the sandbox always holds.
  const csp = headers['content-security-policy'];
  (headers as Record<string, string[]>)['content-security-policy'] = [...(csp === undefined ? [] : [csp].flat().map(String)), PREVIEW_CSP];
  headers['x-content-type-options'] = SECURITY_HEADERS['X-Content-Type-Options'];
  headers['referrer-policy'] = SECURITY_HEADERS['Referrer-Policy'];
  if (o.opaqueOrigin) {
    headers['access-control-allow-origin'] = CORS_FOR_OPAQUE['Access-Control-Allow-Origin'];
    headers['access-control-allow-credentials'] = CORS_FOR_OPAQUE['Access-Control-Allow-Credentials'];
    const exposed = Object.keys(headers).filter((h) => !h.startsWith('access-control-'));
    if (exposed.length) headers['access-control-expose-headers'] = exposed.join(', ');
    const vary = headers.vary === undefined ? [] : [headers.vary].flat().map(String);
    headers.vary = [...vary, 'Origin'].join(', ');
  }
  return headers;
}

export function forwardHeaders(req: http.IncomingMessage, prefix: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  // The learner's app never sees a cookie of ours (the session, an instructor's key, ...): its own
  // Set-Cookie headers are dropped, so every cookie a browser sends here belongs to the workbench.
  delete out.cookie;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  out['x-forwarded-prefix'] = prefix;
  out['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return out;
}

/** Redirects to `/x` or to the node itself stay inside the preview; others are left alone. */
export function rewriteLocation(location: string, prefix: string, ip: string, target: { node: string; port: number }): string {
  if (location.startsWith('/') && !location.startsWith('//')) return prefix + location;
  try {
    const u = new URL(location);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const local = [ip, target.node, 'localhost', '127.0.0.1', '0.0.0.0'].includes(u.hostname);
    if (local && port === target.port) return prefix + u.pathname + u.search + u.hash;
  } catch {
    // not an absolute URL: relative to the current path, which is already inside the prefix
  }
  return location;
}
