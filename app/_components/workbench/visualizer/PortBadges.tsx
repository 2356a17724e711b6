'use client';
/**
 * Ports published on the learner's nodes, as links through the server's port preview
 * (`/sandbox/preview/<cluster>/<node>/<port>/`). A port that cannot answer on this host (ingress
 * without IPVS) still links: the preview page explains why and how to publish it instead.
 */
import type { PublishedPortView } from '@contract/protocol.ts';
import styles from './visualizer.module.css';

export function PortBadges({ ports }: { ports: PublishedPortView[] }) {
  if (!ports.length) return null;
  return (
    <nav className={styles.ports} aria-label="Published ports">
      <span className={styles.portsLabel} aria-hidden="true">
        Open
      </span>
      <ul>
        {ports.map((p) => {
          const text = `${p.node}:${p.port}`;
          const detail = `${p.kind === 'container' ? 'container' : 'service'} ${p.owner}, ${p.kind === 'container' ? 'docker run -p' : `${p.kind} mode`}, → ${p.target}/${p.protocol}`;
          const title = p.problem ?? detail;
          return (
            <li key={`${p.node}/${p.port}/${p.protocol}`}>
              {p.url ? (
                <a
                  className={`${styles.port} ${p.problem ? styles.portProblem : ''}`}
                  href={p.url}
                  target="_blank"
                  rel="noopener"
                  title={title}
                  data-port={p.port}
                  data-node={p.node}
                >
                  {text}
                  <span className={styles.portOwner}>{p.owner}</span>
                  <span className="visually-hidden">
                    {' '}
                    ({detail}
                    {p.problem ? '; does not answer on this host' : ''}; opens in a new tab)
                  </span>
                </a>
              ) : (
                <span className={styles.port} title={`${title} (no browser preview for ${p.protocol})`}>
                  {text}/{p.protocol}
                  <span className={styles.portOwner}>{p.owner}</span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
