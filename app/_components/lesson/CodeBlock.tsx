'use client';
import type { ReactNode } from 'react';
import { CopyButton } from '../ui/CopyButton';
import styles from './lesson.module.css';

/** Fenced code in lesson text, with a Copy button. */
export function CodeBlock({ text, children }: { text: string; children: ReactNode }) {
  return (
    <div className={styles.codeBlock}>
      <pre>{children}</pre>
      <span className={styles.codeCopy}>
        <CopyButton text={text} />
      </span>
    </div>
  );
}
