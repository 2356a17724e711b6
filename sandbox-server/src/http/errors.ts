/**
 * How every route and upgrade says no, in one place: a request gets a status and a JSON `{ error }`
 * in words (what the browser parses), an upgrade refused before its handshake gets a status line,
 * and a socket refused after it gets a close code in the 4000s (a browser cannot read the status of
 * a failed handshake, only a close code and its reason).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../log.ts';

/** An error that becomes an HTTP status and a JSON `{ error }` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Seconds for a Retry-After header (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Thrown while a socket opens: the socket is closed with this code and reason. */
export class SocketRefusal extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A feature's own errors and their status (the feature's domain knows nothing of HTTP); undefined: not one of them. */
export type StatusOf = (err: unknown) => number | undefined;

export function statusOf(err: unknown, domains: readonly StatusOf[] = []): number {
  if (err instanceof HttpError) return err.status;
  for (const of of domains) {
    const status = of(err);
    if (status) return status;
  }
  return 500;
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** The error envelope: `{ error }` with the status, and Retry-After when the error says when to come back. */
export function sendError(res: http.ServerResponse, err: unknown, status: number): void {
  if (res.headersSent) return void res.end();
  const retry = err instanceof HttpError && err.retryAfter ? { 'Retry-After': String(err.retryAfter) } : undefined;
  // An expected refusal is in words already; an unexpected failure may be the engine's, said for people here.
  json(res, status, { error: status === 500 ? describeError(err) : errorMessage(err) }, retry);
}

/** Engine errors in words an operator or learner can act on. */
export function describeError(err: unknown): string {
  const msg = errorMessage(err);
  if (/ECONNREFUSED|ENOENT.*docker\.sock|socket hang up/.test(msg)) {
    return 'The Docker Engine behind the sandbox is not answering. Ask the operator to check it (npm run doctor); your work will be there when it is back if the node survived.';
  }
  if (/no such container|404/i.test(msg)) return 'Your cluster is gone (a node was removed). Press Reset cluster for a fresh one.';
  return msg;
}

/**
 * Refuses an upgrade before its handshake: a status line, `text` as a plain body when given, and the
 * connection closed (nothing after the request head is ever read).
 */
export function refuseUpgrade(socket: Duplex, status: number, text?: string, headers: Record<string, string> = {}): void {
  const body = text ? `${text}\n` : '';
  const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`, 'Connection: close'];
  if (body) head.push('Content-Type: text/plain; charset=utf-8');
  head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}
