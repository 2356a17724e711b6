import type { ReactNode } from 'react';
import type { NoteKind } from '@contract/lesson.ts';
import styles from './lesson.module.css';

const titles: Record<NoteKind, string> = { info: 'Note', warning: 'Warning', host: 'On this host' };
const icons: Record<NoteKind, string> = { info: 'i', warning: '!', host: '⌂' };

/** A callout. `host` = something this particular host cannot do (e.g. no IPVS). */
export function Note({ kind = 'info', title, children }: { kind?: NoteKind; title?: string; children?: ReactNode }) {
  return (
    <div role="note" className={`${styles.note} ${styles[`note-${kind}`]}`} data-note-kind={kind}>
      <p className={styles.noteTitle}>
        <span className={styles.noteIcon} aria-hidden="true">
          {icons[kind]}
        </span>
        {title ?? titles[kind]}
      </p>
      <div className={styles.noteBody}>{children}</div>
    </div>
  );
}
