/**
 * The one WebSocket to the sandbox server, with a heartbeat: a ping every 20 s, and a socket that
 * answers nothing for 10 s after one is dropped. Knows frames only as bytes and strings; what they
 * mean is the client's business.
 *
 * Input flow control makes one silence legitimate: the server stops reading a socket whose shell
 * does not take its input (README "Hostile input and restarts"), so a ping sent after that input
 * waits unread behind it. While input sent since the last pong may be held so, the deadline is
 * longer than the server's own input-stall deadline (30 s), and counted from the last input sent
 * (the server's deadline starts when it stops reading, which can be long after the ping): the server
 * then closes the socket with
 * closeCodes.inputStalled and its reason, which the learner can act on, instead of this heartbeat
 * dropping it as "connection lost" (and sending the next key into the same wall).
 */
import { encodeControl } from './frames.ts';

export interface HeartbeatOptions {
  pingEveryMs: number;
  /** No frame this long after a ping: the socket is dead. */
  pongTimeoutMs: number;
  /** The same, from the last input sent, when input sent since the last pong may be held by the server's flow control. */
  heldInputPongTimeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { pingEveryMs: 20_000, pongTimeoutMs: 10_000, heldInputPongTimeoutMs: 45_000 };

export interface SocketEvents {
  onOpen(): void;
  onFrame(data: string | ArrayBuffer): void;
  /** The server (or the network) closed the socket. */
  onClose(code: number, reason: string): void;
  /** No frame came back after a ping: the socket was dropped as dead. */
  onSilent(): void;
}

export class SandboxSocket {
  private ws: WebSocket | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private pingId = 0;
  /** When the ping now awaiting an answer was sent. */
  private pingSentAt = 0;
  /** Input went out since the last pong: a silence may be the server holding it (see above). */
  private inputSincePong = false;
  private lastInputAt = 0;

  constructor(
    private readonly createWebSocket: (url: string) => WebSocket,
    private readonly events: SocketEvents,
    private readonly heartbeat: HeartbeatOptions = DEFAULT_HEARTBEAT,
  ) {}

  /** Replaces any current socket; false when the browser would not even create one. */
  open(url: string): boolean {
    this.drop();
    let ws: WebSocket;
    try {
      ws = this.createWebSocket(url);
    } catch {
      return false;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.startPing();
      this.events.onOpen();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (ws !== this.ws) return;
      // Any frame clears the pong deadline: silence is what means a dead connection.
      if (this.pongTimer) clearTimeout(this.pongTimer);
      this.pongTimer = null;
      this.events.onFrame(ev.data as string | ArrayBuffer);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.stopPing();
      this.events.onClose(ev.code, ev.reason);
    };
    ws.onerror = () => {
      /* a close event follows with the details */
    };
    return true;
  }

  /** Forget the current socket without waiting for a close handshake that may never come. */
  drop(): void {
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(1000);
    } catch {
      /* already closed */
    }
  }

  /** False when not open. Binary frames are terminal input. */
  send(data: string | Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(data);
    if (typeof data !== 'string') {
      this.inputSincePong = true;
      this.lastInputAt = Date.now();
    }
    return true;
  }

  /** The server answered a ping: it has read everything sent before it. */
  onPong(): void {
    this.inputSincePong = false;
  }

  private startPing(): void {
    this.stopPing();
    this.inputSincePong = false;
    this.pingTimer = setInterval(() => {
      this.send(encodeControl({ type: 'ping', id: ++this.pingId }));
      if (this.pongTimer) return;
      this.pingSentAt = Date.now();
      this.waitForAnswer(this.heartbeat.pongTimeoutMs);
    }, this.heartbeat.pingEveryMs);
  }

  private waitForAnswer(ms: number): void {
    this.pongTimer = setTimeout(() => {
      const held = this.inputSincePong;
      const limit = held ? this.heartbeat.heldInputPongTimeoutMs : this.heartbeat.pongTimeoutMs;
      const waited = Date.now() - (held ? Math.max(this.pingSentAt, this.lastInputAt) : this.pingSentAt);
      if (waited < limit) return this.waitForAnswer(limit - waited);
      this.drop();
      this.events.onSilent();
    }, ms);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }
}
