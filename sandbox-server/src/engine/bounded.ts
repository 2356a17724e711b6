/**
 * Reads from places a learner controls (a node's Docker API on port 2375, a node's HTTP ports,
 * lab files in a node), bounded in size and in time. Learners are root in their nodes and can put
 * anything behind those ports: an endless line, an endless body, a body that trickles forever.
 * Every helper here destroys what it reads from on every failure path, so nothing stays open.
 */
import http, { type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

/** A read that broke a limit: the source misbehaves (or is far bigger than anything we read). */
export class ReadLimitError extends Error {
  constructor(
    message: string,
    readonly kind: 'size' | 'time',
  ) {
    super(message);
    this.name = 'ReadLimitError';
  }
}

export interface ReadLimits {
  /** Most bytes to accept. */
  maxBytes: number;
  /** Most time for the whole read (not an idle timeout: a trickle must not last forever). */
  timeoutMs: number;
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MiB` : `${Math.round(n / 1024)} KiB`;
}

/** The whole stream as one buffer, or a ReadLimitError (the stream is destroyed then). */
export function readAll(stream: Readable | NodeJS.ReadableStream, limits: ReadLimits, what: string): Promise<Buffer> {
  const s = stream as Readable;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.off('data', onData);
      if (err) {
        s.destroy();
        reject(err);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer | string) => {
      const buf = typeof c === 'string' ? Buffer.from(c) : c;
      size += buf.length;
      if (size > limits.maxBytes) return finish(new ReadLimitError(`${what} is larger than ${formatBytes(limits.maxBytes)}`, 'size'));
      chunks.push(buf);
    };
    const timer = setTimeout(() => finish(new ReadLimitError(`${what} took longer than ${limits.timeoutMs / 1000} s`, 'time')), limits.timeoutMs);
    timer.unref?.();
    s.on('data', onData);
    s.once('end', () => finish(null));
    s.once('error', (err) => finish(err));
    s.once('close', () => finish(s.readableEnded ? null : new Error(`${what}: the stream closed early`)));
  });
}

export interface BoundedAnswer {
  status: number;
  body: Buffer;
  /** The body was longer than maxBytes and was cut there (only with `truncate`). */
  truncated: boolean;
}

export interface BoundedRequest {
  host: string;
  port: number;
  path: string;
  limits: ReadLimits;
  headers?: Record<string, string>;
  truncate?: boolean;
  what?: string;
  /** Gives up at once (the connection is closed, the answer rejected) when this aborts. */
  signal?: AbortSignal;
}

/**
 * GET http://host:port/path, the body bounded in size and the whole exchange in time.
 * Over maxBytes: a ReadLimitError, or with `truncate` the first maxBytes (the connection is closed
 * either way, never drained).
 */
export function boundedGet(opts: BoundedRequest): Promise<BoundedAnswer> {
  return boundedRequest('GET', opts);
}

/**
 * The same bounds for a request with a method of its own and no body (e.g. POST /images/create,
 * whose answer is a progress stream that ends when the work is done).
 */
export function boundedRequest(method: 'GET' | 'POST', opts: BoundedRequest): Promise<BoundedAnswer> {
  const what = opts.what ?? `http://${opts.host}:${opts.port}${opts.path}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(new Error(`${what}: stopped`)));
      req.destroy();
    };
    const req = http.request({ method, host: opts.host, port: opts.port, path: opts.path, headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (settled) return;
        if (size + c.length > opts.limits.maxBytes) {
          if (opts.truncate) {
            chunks.push(c.subarray(0, opts.limits.maxBytes - size));
            settle(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), truncated: true }));
          } else {
            settle(() => reject(new ReadLimitError(`${what}: answer larger than ${formatBytes(opts.limits.maxBytes)}`, 'size')));
          }
          req.destroy();
          return;
        }
        size += c.length;
        chunks.push(c);
      });
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), truncated: false })));
      res.on('error', (err) => settle(() => reject(err)));
      res.on('close', () => settle(() => reject(new Error(`${what}: the connection closed early`))));
    });
    const timer = setTimeout(() => {
      settle(() => reject(new ReadLimitError(`${what}: no complete answer within ${opts.limits.timeoutMs / 1000} s`, 'time')));
      req.destroy();
    }, opts.limits.timeoutMs);
    timer.unref?.();
    req.on('error', (err) => settle(() => reject(err)));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

/**
 * Open a long-lived GET (an event stream): the status line and headers must come within
 * `headerTimeoutMs`; the body is the caller's, to read with `followLines`.
 */
export function openStream(opts: { host: string; port: number; path: string; headerTimeoutMs: number }): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: opts.host, port: opts.port, path: opts.path, agent: false }, (res) => {
      clearTimeout(timer);
      if ((res.statusCode ?? 0) >= 400) {
        res.destroy();
        reject(new Error(`${opts.path}: HTTP ${res.statusCode}`));
        return;
      }
      resolve(res);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new ReadLimitError(`${opts.path}: no answer within ${opts.headerTimeoutMs / 1000} s`, 'time'));
    }, opts.headerTimeoutMs);
    timer.unref?.();
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export interface LineLimits {
  /** Longest line accepted (bytes). */
  maxLine: number;
  /** Most bytes accepted within any `windowMs` (a flood of short lines is as bad as one long one). */
  maxBytesPerWindow: number;
  windowMs: number;
}

/**
 * Newline-separated lines of a stream, each handed to `onLine`. A line longer than maxLine or a
 * flood over the rate destroys the stream with a ReadLimitError (the stream's 'error' and 'close'
 * then tell its owner).
 */
export function followLines(stream: Readable, limits: LineLimits, onLine: (line: string) => void): void {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let windowStart = Date.now();
  let windowBytes = 0;
  stream.on('data', (chunk: Buffer) => {
    if (stream.destroyed) return;
    const now = Date.now();
    if (now - windowStart > limits.windowMs) {
      windowStart = now;
      windowBytes = 0;
    }
    windowBytes += chunk.length;
    if (windowBytes > limits.maxBytesPerWindow) {
      stream.destroy(new ReadLimitError(`more than ${formatBytes(limits.maxBytesPerWindow)} of events within ${limits.windowMs / 1000} s`, 'size'));
      return;
    }
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(10, start)) >= 0) {
      const piece = chunk.subarray(start, nl);
      if (pendingSize + piece.length > limits.maxLine) return overLong();
      const line = (pendingSize ? Buffer.concat([...pending, piece]) : piece).toString('utf8').trim();
      pending = [];
      pendingSize = 0;
      start = nl + 1;
      if (line) onLine(line);
      if (stream.destroyed) return;
    }
    const rest = chunk.subarray(start);
    if (pendingSize + rest.length > limits.maxLine) return overLong();
    if (rest.length) {
      pending.push(rest);
      pendingSize += rest.length;
    }
  });
  const overLong = () => {
    pending = [];
    stream.destroy(new ReadLimitError(`an event line longer than ${formatBytes(limits.maxLine)}`, 'size'));
  };
}
