/** Small HTTP helpers shared by the sandbox, workshop and preview routes. */
import type http from 'node:http';
import { isPreviewCapabilityUrl } from '../preview/proxy.js';

/** An error that becomes an HTTP status and a JSON `{ error }` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function readCookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * Browsers send cookies on cross-site requests and WebSocket upgrades too: refuse other origins,
 * including `Origin: null` (sandboxed documents such as port previews, file: pages, some redirects).
 * The one exception is a port preview's capability address: a preview runs in an opaque origin on
 * purpose and its own requests (scripts, forms, sockets) go there; it never acts on the cookie.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser, or a same-origin GET
  if (origin === 'null') return isPreviewCapabilityUrl(req.url);
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
