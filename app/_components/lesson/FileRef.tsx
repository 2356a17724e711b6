'use client';
import type { ReactNode } from 'react';
import { useBridge } from '../../_lib/bridge.tsx';
import styles from './lesson.module.css';

/** Inline link-like button that opens a lab file in the workbench editor. */
export function FileRef({ path, children }: { path: string; children?: ReactNode }) {
  const bridge = useBridge();
  return (
    <button type="button" className={styles.fileRef} onClick={() => bridge.openFile(path)} title={`Open ${path} in the editor`} data-file-ref={path}>
      <span aria-hidden="true" className={styles.fileIcon}>
        ▤
      </span>
      {children ?? <code>{path}</code>}
      <span className="visually-hidden"> (open in the editor)</span>
    </button>
  );
}
