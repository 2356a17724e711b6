'use client';
import type { ReactNode } from 'react';
import { CopyButton } from '../ui/CopyButton.tsx';
import styles from './lesson.module.css';

/** Fenced code in lesson text, with a Copy button in a bar above it (it never covers the text). */
export function CodeBlock({ text, children }: { text: string; children: ReactNode }) {
  return (
    <div className={styles.codeBlock}>
      <div className={styles.codeBar}>
        <CopyButton text={text} className="btn btn-small btn-quiet" />
      </div>
      <pre tabIndex={0}>{children}</pre>
    </div>
  );
}
