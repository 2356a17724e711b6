import type { ReactNode } from 'react';
import styles from './lesson.module.css';

/** <Hint> and <Solution> outside exercises: closed until the learner asks. */
export function Reveal({ kind, title, children }: { kind: 'hint' | 'solution'; title?: string; children?: ReactNode }) {
  return (
    <details className={`${styles.reveal} ${styles[`reveal-${kind}`]}`}>
      <summary>{title ?? (kind === 'hint' ? 'Show a hint' : 'Show the solution')}</summary>
      <div className={styles.revealBody}>{children}</div>
    </details>
  );
}
