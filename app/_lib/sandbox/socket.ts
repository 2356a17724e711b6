/**
 * The one WebSocket to the sandbox server, with a heartbeat: a ping every 20 s, and a socket that
 * answers nothing for 10 s after one is dropped. Knows frames only as bytes and strings; what they
 * mean is the client's business.
 */
import { encodeControl } from './frames.ts';

const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;

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

  constructor(
    private readonly createWebSocket: (url: string) => WebSocket,
    private readonly events: SocketEvents,
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

  /** False when not open. */
  send(data: string | Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(data);
    return true;
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      this.send(encodeControl({ type: 'ping', id: ++this.pingId }));
      this.pongTimer ??= setTimeout(() => {
        this.drop();
        this.events.onSilent();
      }, PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }
}
