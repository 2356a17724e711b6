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
  /**
   * Not connected; retrying at `retryAt` (ms epoch). `everConnected` tells "lost" from "unreachable".
   * `refusal`: the server answered but asked us to wait (429 with Retry-After), in its words.
   */
  | { kind: 'retrying'; retryAt: number; attempt: number; reason: string; everConnected: boolean; refusal?: string }
  /** The server said not to come back as is; the learner has to act. `message`: the server's words, if any. */
  | { kind: 'stopped'; reason: StoppedReason; message?: string };

/**
 * Why the page stopped connecting: the session is gone (`no-session`, `expired`, `replaced`), the
 * session has the most sockets it may hold (`too-many-sockets`: a tab too many), the learner's shell
 * kept not reading its input (`input-stalled`, a second time soon after the first), or the server
 * kept refusing a new session (`refused`: it asked us to wait, more than a page view waits).
 */
export type StoppedReason = 'no-session' | 'expired' | 'replaced' | 'too-many-sockets' | 'input-stalled' | 'refused';

/** Something that happened to the connection that the learner should hear of even though it recovered. */
export type SandboxNotice = { kind: 'input-stalled'; at: number };

/** The server refused a claim (the learner pressed Start): its words, and when it said to try again. */
export interface ClaimRefusal {
  message: string;
  /** ms epoch, or null when the server gave no time (403: workshops only). */
  retryAt: number | null;
}

export interface SandboxSnapshot {
  connection: ConnectionState;
  /** Latest cluster info from the server; null until the first answer. */
  cluster: ClusterInfo | null;
  /** Shown until dismissed (or the next stop); null when there is nothing to say. */
  notice?: SandboxNotice | null;
  /** The last claim's refusal while the cluster is still unclaimed; null otherwise. */
  claimRefusal?: ClaimRefusal | null;
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
