/**
 * Terminal sessions multiplexed over the one socket: which view a channel's output belongs to, and
 * the server's per-terminal answers (opened, exited, error). The connection's ups and downs reach
 * every view through here.
 */
import { defaultTerminalId, type ClientMessage, type NodeName, type ServerMessage } from '@contract/protocol.ts';
import { encodeControl } from './frames.ts';
import { TerminalSession, type TerminalTransport } from './terminal-session.ts';
import type { OpenTerminalOptions, TerminalHandle } from './types.ts';

export interface TerminalLink {
  /** A frame on the socket; false when not connected. */
  send(data: string | Uint8Array): boolean;
  /** Connected, cluster ready and the node exists. */
  canOpen(node: NodeName): boolean;
}

export class TerminalMux implements TerminalTransport {
  private readonly terminals = new Map<string, TerminalSession>();
  private readonly byChannel = new Map<number, TerminalSession>();

  constructor(private readonly link: TerminalLink) {}

  /** Attach a view to the node's shell. A second view with the same id replaces the first. */
  openTerminal(opts: OpenTerminalOptions): TerminalHandle {
    const terminalId = opts.terminalId ?? defaultTerminalId(opts.node);
    this.terminals.get(terminalId)?.close();
    const session = new TerminalSession(terminalId, opts.node, { cols: opts.cols, rows: opts.rows }, opts.sink, this);
    this.terminals.set(terminalId, session);
    session.tryOpen();
    return session;
  }

  onOutput(channel: number, payload: Uint8Array): void {
    this.byChannel.get(channel)?.onOutput(payload);
  }

  /** The server's answers about terminals; other messages are ignored. */
  onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'opened': {
        const t = this.terminals.get(msg.terminalId);
        if (!t) return;
        for (const [ch, other] of this.byChannel) if (other === t) this.byChannel.delete(ch);
        this.byChannel.set(msg.channel, t);
        t.onOpened(msg.channel, msg.offset);
        break;
      }
      case 'exited': {
        const t = this.terminals.get(msg.terminalId);
        if (t?.channel !== null && t?.channel !== undefined) this.byChannel.delete(t.channel);
        t?.onExited(msg.code);
        break;
      }
      case 'error': {
        const t = msg.terminalId ? this.terminals.get(msg.terminalId) : undefined;
        if (t) {
          if (t.channel !== null) this.byChannel.delete(t.channel);
          t.onError(msg.code, msg.message);
        } else {
          console.warn(`[sandbox] server error ${msg.code}: ${msg.message}`);
        }
        break;
      }
      default:
        break;
    }
  }

  /** The socket is gone: every shell reattaches from where it was on the next one. */
  onDisconnected(): void {
    this.byChannel.clear();
    for (const t of this.terminals.values()) t.onDisconnected();
  }

  /** The cluster left `ready`: attached shells say so (idempotent). */
  onClusterGone(status: string, why?: string): void {
    for (const t of this.terminals.values()) t.onClusterGone(status, why);
  }

  /** Open every view still waiting, where the cluster allows it now. */
  openWaiting(): void {
    for (const t of this.terminals.values()) t.tryOpen();
  }

  // ------------------------------------------------------------ TerminalTransport

  sendControl(message: ClientMessage): boolean {
    return this.link.send(encodeControl(message));
  }

  sendBinary(frame: Uint8Array): boolean {
    return this.link.send(frame);
  }

  canOpen(node: NodeName): boolean {
    return this.link.canOpen(node);
  }

  release(session: TerminalSession): void {
    if (this.terminals.get(session.terminalId) === session) this.terminals.delete(session.terminalId);
    for (const [ch, t] of this.byChannel) if (t === session) this.byChannel.delete(ch);
  }
}
