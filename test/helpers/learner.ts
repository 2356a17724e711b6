/**
 * A learner's browser, minus the browser: session cookie, one WebSocket
 * speaking the real protocol, terminals with byte-exact output bookkeeping.
 */
import WebSocket from 'ws';
import {
  clientMessage,
  decodeBinary,
  encodeBinary,
  paths,
  serverMessage,
  type ClientMessage,
  type ClusterInfo,
  type ServerMessage,
} from '@contract/protocol.ts';
import { waitFor } from './wait.ts';

/** Output of one terminal as received; chunks are joined lazily (a flood stays linear). */
export class TerminalOutput {
  private chunks: Buffer[] = [];
  private joined = Buffer.alloc(0);
  length = 0;
  exited = false;

  constructor(
    readonly channel: number,
    /** Offset of the first byte in `bytes`. */
    readonly from: number,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The last `n` bytes, without joining everything (a flood of megabytes is polled often). */
  tail(n: number): Buffer {
    const parts: Buffer[] = [];
    let have = 0;
    for (let i = this.chunks.length - 1; i >= 0 && have < n; i--) {
      parts.unshift(this.chunks[i]!);
      have += this.chunks[i]!.length;
    }
    if (have < n) parts.unshift(this.joined.subarray(-(n - have)));
    return Buffer.concat(parts).subarray(-n);
  }

  get bytes(): Buffer {
    if (this.chunks.length) {
      this.joined = Buffer.concat([this.joined, ...this.chunks]);
      this.chunks = [];
    }
    return this.joined;
  }
}

export class Learner {
  ws!: WebSocket;
  cluster: ClusterInfo | undefined;
  readonly messages: ServerMessage[] = [];
  readonly terminals = new Map<string, TerminalOutput>();
  closeCode: number | undefined;
  /** Called on every output frame (for latency measurements that must not poll). */
  onOutput: ((terminalId: string) => void) | undefined;

  constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    /** The network this learner comes from (X-Forwarded-For through the test server's trusted proxy). */
    readonly address = randomAddress(),
  ) {}

  /**
   * A new learner who acts at once: POST /sandbox/session for a cookie, claim a cluster (the
   * first action), then connect. Each learner comes from its own network address, sent as
   * X-Forwarded-For to test servers that trust 127.0.0.1 as their proxy (see testConfig), so
   * several learners of one test are not one network to the per-address limit.
   */
  static async join(baseUrl: string, opts: { claim?: boolean; address?: string } = {}): Promise<Learner> {
    const address = opts.address ?? randomAddress();
    const res = await fetch(`${baseUrl}${paths.session}`, { method: 'POST', headers: { 'X-Forwarded-For': address } });
    if (!res.ok) throw new Error(`session: HTTP ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const learner = new Learner(baseUrl, cookie, address);
    if (opts.claim !== false) await learner.claim();
    await learner.connect();
    return learner;
  }

  /** The learner's first action: claim their cluster (throws with the server's words when refused). */
  async claim(): Promise<void> {
    const res = await this.fetch(paths.claim, { method: 'POST' });
    if (!res.ok) throw new Error(`claim: HTTP ${res.status} ${await res.text()}`);
  }

  /** The same learner in a reloaded page: same cookie, fresh socket, no terminal state. */
  async reload(): Promise<Learner> {
    this.ws.close();
    return this.anotherPage();
  }

  /** A second page of the same learner, open at the same time. */
  async anotherPage(): Promise<Learner> {
    const page = new Learner(this.baseUrl, this.cookie, this.address);
    await page.connect();
    return page;
  }

  async connect(headers: Record<string, string> = {}): Promise<void> {
    this.ws = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}${paths.ws}`, { headers: { Cookie: this.cookie, ...headers } });
    this.ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.ws.on('close', (code) => (this.closeCode = code));
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('close', (code) => resolve(void code));
    });
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { ...init, headers: { Cookie: this.cookie, 'X-Forwarded-For': this.address, ...(init.headers ?? {}) } });
  }

  send(msg: ClientMessage): void {
    this.ws.send(JSON.stringify(clientMessage.parse(msg)));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  async waitReady(timeoutMs = 120_000): Promise<ClusterInfo> {
    await waitFor(() => this.cluster?.status === 'ready' || this.cluster?.status === 'failed', timeoutMs, 'cluster ready');
    if (this.cluster?.status !== 'ready') throw new Error(`cluster failed: ${this.cluster?.progress}`);
    return this.cluster;
  }

  /** Open a shell; resolves once `opened` arrived. */
  async open(terminalId: string, node: string, opts: { offset?: number; cols?: number; rows?: number } = {}): Promise<TerminalOutput> {
    this.terminals.delete(terminalId);
    const since = this.messages.length;
    this.send({ type: 'open', terminalId, node, cols: opts.cols ?? 120, rows: opts.rows ?? 40, offset: opts.offset });
    await waitFor(() => this.terminals.has(terminalId) || !!this.errorFor(terminalId, since), 60_000, `terminal ${terminalId} opened`);
    const err = this.errorFor(terminalId, since);
    if (err) throw new Error(`${err.code}: ${err.message}`);
    return this.terminals.get(terminalId)!;
  }

  type(terminalId: string, text: string): void {
    const t = this.terminals.get(terminalId);
    if (!t) throw new Error(`terminal ${terminalId} not open`);
    this.ws.send(encodeBinary(t.channel, Buffer.from(text)), { binary: true });
  }

  text(terminalId: string): string {
    return this.terminals.get(terminalId)?.bytes.toString('utf8') ?? '';
  }

  /** Wait until the terminal's output (after `since` chars) matches. */
  async waitOutput(terminalId: string, pattern: RegExp, timeoutMs = 60_000, since = 0): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null;
    await waitFor(() => (match = this.text(terminalId).slice(since).match(pattern)) !== null, timeoutMs, `${pattern} in ${terminalId}`, () =>
      this.text(terminalId).slice(-400),
    );
    return match!;
  }

  /** Run a command and return what it printed between two unique markers. */
  async run(terminalId: string, command: string, timeoutMs = 60_000): Promise<string> {
    return (await this.runWithCode(terminalId, command, timeoutMs)).output;
  }

  async runWithCode(terminalId: string, command: string, timeoutMs = 60_000): Promise<{ output: string; code: number }> {
    const id = Math.random().toString(36).slice(2, 8);
    const since = this.text(terminalId).length;
    // The markers are split in the typed text so the echo of the command line never matches.
    this.type(terminalId, `echo "<<${id}""-start>>"; ${command}; echo "<<${id}""-end:$?>>"\r`);
    const m = await this.waitOutput(terminalId, new RegExp(`<<${id}-start>>\\r?\\n([\\s\\S]*?)<<${id}-end:(\\d+)>>`), timeoutMs, since);
    return { output: m[1]!.replace(/\r/g, ''), code: Number(m[2]) };
  }

  errorFor(terminalId: string, since = 0) {
    return this.messages.slice(since).find((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error' && m.terminalId === terminalId);
  }

  errors(): Extract<ServerMessage, { type: 'error' }>[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error');
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const frame = decodeBinary(data);
      if (!frame) return;
      for (const [id, t] of this.terminals) {
        if (t.channel !== frame.channel || t.exited) continue;
        t.push(Buffer.from(frame.payload));
        this.onOutput?.(id);
      }
      return;
    }
    const msg = serverMessage.parse(JSON.parse(data.toString('utf8')));
    this.messages.push(msg);
    if (msg.type === 'cluster') this.cluster = msg.cluster;
    if (msg.type === 'opened') this.terminals.set(msg.terminalId, new TerminalOutput(msg.channel, msg.offset));
    if (msg.type === 'exited') {
      const t = this.terminals.get(msg.terminalId);
      if (t) t.exited = true;
    }
  }
}

/** A made-up client address (10.x.y.z): one per simulated learner. */
export function randomAddress(): string {
  const b = () => Math.floor(Math.random() * 254) + 1;
  return `10.${b()}.${b()}.${b()}`;
}
