/** The sandbox server's HTTP endpoints (same origin, cookie session). */
import { fileList, paths, sessionResponse, type FileList, type SessionResponse } from '@contract/protocol.ts';
import { parseRetryAfter } from './retry-after.ts';

export class SandboxHttpError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when the server could not be reached at all. */
    readonly status: number | null,
    /** The server's Retry-After in seconds (bounded, see parseRetryAfter), or null when it gave none we can use. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'SandboxHttpError';
  }

  /** True when retrying later may help (server down, restarting, or behind a proxy that is). */
  get unreachable(): boolean {
    return this.status === null || this.status === 404 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The WebSocket URL of a sandbox path: beside `baseUrl` when given (tests), else on this page's host. */
export function wsUrl(path: string, baseUrl = ''): string {
  if (baseUrl) return baseUrl.replace(/^http/, 'ws') + path;
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}`;
}

export function filePath(path: string): string {
  return `${paths.files}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export class SandboxHttp {
  constructor(
    private readonly baseUrl = '',
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
  ) {}

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, { credentials: 'same-origin', cache: 'no-store', ...init });
    } catch {
      throw new SandboxHttpError('The sandbox server did not answer (the connection dropped?): try again in a moment.', null);
    }
    if (!res.ok) throw new SandboxHttpError(await errorText(res), res.status, parseRetryAfter(res.headers.get('retry-after')));
    return res;
  }

  /** Sets the session cookie if missing; takes no cluster (a page view never does). */
  async createSession(): Promise<SessionResponse> {
    const res = await this.request(paths.session, { method: 'POST' });
    return sessionResponse.parse(await res.json());
  }

  /** The learner acted: claim their cluster (429/403 with the server's words when the server's rules refuse). */
  async claimCluster(): Promise<SessionResponse> {
    const res = await this.request(paths.claim, { method: 'POST' });
    return sessionResponse.parse(await res.json());
  }

  async listFiles(): Promise<FileList> {
    return fileList.parse(await (await this.request(paths.files)).json());
  }

  async readFile(path: string): Promise<string> {
    return (await this.request(filePath(path))).text();
  }

  /** Writes the file into /lab on every node. */
  async writeFile(path: string, text: string): Promise<void> {
    await this.request(filePath(path), { method: 'PUT', body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }

  async resetCluster(): Promise<void> {
    await this.request(paths.reset, { method: 'POST' });
  }
}

async function errorText(res: Response): Promise<string> {
  const fallback = `The sandbox server answered ${res.status} ${res.statusText}`.trim();
  try {
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('application/json')) {
      const body = (await res.json()) as { error?: unknown; message?: unknown };
      const msg = body.message ?? body.error;
      return typeof msg === 'string' && msg ? msg : fallback;
    }
    if (type.startsWith('text/plain')) {
      const text = (await res.text()).trim();
      return text && text.length < 300 ? text : fallback;
    }
  } catch {
    // fall through: a body we cannot read is no reason to hide the status
  }
  return fallback;
}
