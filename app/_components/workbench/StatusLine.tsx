'use client';
/**
 * One line that always says where the sandbox stands: connecting, cluster
 * starting (with the server's real progress), ready (and which images its
 * nodes are pulling, so a slow first scale-out says why), or what went wrong
 * and what to do about it.
 */
import type { ClusterState } from '@contract/protocol.ts';
import { pullText } from '@contract/visualizer/pulls.ts';
import type { SandboxClient, SandboxSnapshot } from '../../_lib/sandbox/index.ts';
import { useNow } from './useSandbox.ts';
import styles from './workbench.module.css';

type Tone = 'busy' | 'ok' | 'warn' | 'error';

interface Props {
  snapshot: SandboxSnapshot;
  client: SandboxClient;
  onReset: () => void;
  /** The live cluster picture, for the images being pulled. */
  clusterState?: ClusterState | null;
}

/** A learner's shell stopped reading its input (closeCodes.inputStalled): what happened, in their terms. */
const INPUT_STALLED =
  'Your shell stopped reading what you typed or pasted (a program in it takes no input), so the sandbox closed the connection and dropped the rest of that input. Nothing else is lost: your shell, your files and your cluster are still there.';

export function StatusLine({ snapshot, client, onReset, clusterState }: Props) {
  const { connection, cluster, notice, claimRefusal } = snapshot;
  const counting = connection.kind === 'retrying' || cluster?.status === 'ready' || (cluster?.status === 'unclaimed' && !!claimRefusal?.retryAt);
  const now = useNow(counting, 1000);

  let tone: Tone = 'busy';
  let text: string;
  let action: { label: string; run: () => void } | null = null;
  let fraction: number | undefined;
  let pulling: string | null = null;

  if (connection.kind === 'stopped') {
    tone = 'error';
    switch (connection.reason) {
      case 'expired':
        text = 'Your sandbox expired and its cluster was removed.';
        action = { label: 'Start a new sandbox', run: () => client.restartSession() };
        break;
      case 'no-session':
        text = 'Your sandbox session was not found (cookies cleared or blocked?).';
        action = { label: 'Start a new session', run: () => client.restartSession() };
        break;
      case 'replaced':
        text = 'Your sandbox is now open in another tab.';
        action = { label: 'Use it here', run: () => client.restartSession() };
        break;
      case 'too-many-sockets':
        // Reconnecting by itself would take a connection another tab needs, and be refused again.
        tone = 'warn';
        text = 'Too many tabs or windows of this workbench are open, so the sandbox did not connect this one. Close a tab you do not need, then press Retry.';
        action = { label: 'Retry', run: () => client.reconnect() };
        break;
      case 'input-stalled':
        tone = 'warn';
        text = `${INPUT_STALLED} It happened again soon after reconnecting: a program in that shell still reads nothing. Press Reconnect when you are ready and do not paste into it again; if the shell no longer answers your keys, Reset cluster starts afresh.`;
        action = { label: 'Reconnect', run: () => client.reconnect() };
        break;
      case 'refused':
        text = `${connection.message ?? 'The sandbox server refused a new session.'} The page stopped trying by itself.`;
        action = { label: 'Try again', run: () => client.reconnect() };
        break;
    }
  } else if (notice?.kind === 'input-stalled') {
    tone = 'warn';
    text = connection.kind === 'connected' ? `${INPUT_STALLED} Reconnected.` : `${INPUT_STALLED} Reconnecting…`;
    action = { label: 'OK', run: () => client.dismissNotice() };
  } else if (connection.kind === 'retrying' && connection.refusal) {
    // The server answered and asked us to wait (429): its words, and when the page asks again.
    tone = 'warn';
    const secs = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
    text = `${connection.refusal} ${secs > 0 ? `Trying again in ${secs} s…` : 'Trying again…'}`;
  } else if (connection.kind === 'retrying') {
    tone = connection.everConnected ? 'warn' : 'error';
    const secs = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
    text = `${connection.everConnected ? 'Connection lost.' : 'The sandbox server is unreachable.'} ${secs > 0 ? `Retrying in ${secs} s…` : 'Retrying…'}`;
    action = { label: 'Retry now', run: () => client.retryNow() };
  } else if (connection.kind === 'idle' || (connection.kind === 'connecting' && !cluster)) {
    text = 'Connecting to your sandbox…';
  } else if (!cluster) {
    text = 'Connecting to your sandbox…';
  } else {
    switch (cluster.status) {
      case 'unclaimed': {
        // No cluster yet (a page view takes none): the server's words, or why it refused one.
        tone = cluster.progress?.startsWith('Your sandbox starts') === false ? 'warn' : 'busy';
        text = cluster.progress ?? 'Your sandbox starts when you click in the terminal or press Start.';
        if (claimRefusal) {
          // Refused (429/403): its words, and when it said to try again; Start stays for then.
          tone = 'warn';
          const secs = claimRefusal.retryAt === null ? null : Math.max(0, Math.ceil((claimRefusal.retryAt - now) / 1000));
          text = `${claimRefusal.message}${secs === null ? '' : secs > 0 ? ` Try again in ${secs} s.` : ' You can try again now.'}`;
        }
        action = { label: 'Start sandbox', run: () => client.claim() };
        break;
      }
      case 'provisioning':
        text = `Starting your cluster${cluster.progress ? `: ${cluster.progress}` : '…'}`;
        fraction = cluster.fraction;
        break;
      case 'resetting':
        text = `Resetting your cluster${cluster.progress ? `: ${cluster.progress}` : '…'}`;
        fraction = cluster.fraction;
        break;
      case 'failed':
        tone = 'error';
        text = `Your cluster could not start${cluster.progress ? `: ${cluster.progress}` : '.'}`;
        action = { label: 'Reset cluster', run: onReset };
        break;
      case 'expired':
        tone = 'error';
        text = 'Your sandbox expired and its cluster was removed.';
        action = { label: 'Start a new sandbox', run: () => client.restartSession() };
        break;
      case 'ready': {
        tone = connection.kind === 'connected' ? 'ok' : 'busy';
        const names = cluster.nodes.map((n) => n.name).join(', ');
        const left = cluster.expiresAt ? Math.round((cluster.expiresAt - now) / 60_000) : null;
        text = connection.kind === 'connected' ? `Cluster ready: ${names}` : 'Reconnecting…';
        pulling = connection.kind === 'connected' ? pullText(clusterState?.pulling ?? []) : null;
        if (pulling) {
          // First, so a narrow status line still says it.
          tone = 'busy';
          text = `Cluster ready · ${pulling}`;
        } else if (left !== null && left >= 0 && connection.kind === 'connected') text += ` · ${left < 1 ? 'expires in under a minute' : `expires in ${left} min`}`;
        break;
      }
    }
  }

  return (
    <div className={`${styles.status} ${styles[`tone-${tone}`]}`} data-sandbox-status={connection.kind === 'connected' ? (cluster?.status ?? 'connecting') : connection.kind} data-pulling={pulling ? '' : undefined}>
      <span className={styles.statusDot} aria-hidden="true" />
      <span className={styles.statusText} role="status" aria-live="polite">
        {text}
      </span>
      {fraction !== undefined && (
        <progress className={styles.progress} max={1} value={fraction} aria-label="Cluster start progress">
          {Math.round(fraction * 100)}%
        </progress>
      )}
      {action && (
        <button type="button" className="btn btn-small" onClick={action.run}>
          {action.label}
        </button>
      )}
      {cluster && cluster.hostLimits.length > 0 && (
        <details className={styles.limits}>
          <summary>Host limits</summary>
          <ul>
            {cluster.hostLimits.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
