/**
 * The narrow interface between the workbench UI and the sandbox connection.
 * Nothing here knows about xterm: a terminal view is just a TerminalSink.
 */
import type { ClusterInfo, NodeName } from '@contract/protocol.ts';

export type { ClusterInfo, NodeName };

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** Not connected; retrying at `retryAt` (ms epoch). `everConnected` tells "lost" from "unreachable". */
  | { kind: 'retrying'; retryAt: number; attempt: number; reason: string; everConnected: boolean }
  /** The server said not to come back as is; the learner has to act. */
  | { kind: 'stopped'; reason: 'no-session' | 'expired' | 'replaced' };

export interface SandboxSnapshot {
  connection: ConnectionState;
  /** Latest cluster info from the server; null until the first answer. */
  cluster: ClusterInfo | null;
}

/** Where terminal output goes (implemented by the xterm view). */
export interface TerminalSink {
  /** Write shell output; call `rendered` once the terminal has processed it (drives flow control). */
  write(data: Uint8Array, rendered: () => void): void;
  /** A line from the workbench itself, not from the shell (e.g. "shell exited"). */
  notice(text: string): void;
  /** Clear the view, in order with earlier writes (before a full replay). */
  clear(): void;
}

export type TerminalState = 'waiting' | 'opening' | 'open' | 'exited' | 'failed' | 'closed';

export interface TerminalHandle {
  readonly terminalId: string;
  readonly node: NodeName;
  /** Keystrokes or pasted text (string) or raw bytes. Queued until the shell is attached. */
  input(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** Stop receiving output; the shell keeps running on the server for a later reattach. */
  close(): void;
  getState(): TerminalState;
  onStateChange(listener: (state: TerminalState) => void): () => void;
}

export interface OpenTerminalOptions {
  node: NodeName;
  cols: number;
  rows: number;
  sink: TerminalSink;
  /** Defaults to `t-<node>`: fixed per node so a reload reattaches to the same shell. */
  terminalId?: string;
}
