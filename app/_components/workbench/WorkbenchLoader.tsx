'use client';
/**
 * Loads the workbench (xterm, the sandbox client, later Monaco) only in the
 * browser and after the lesson text is on screen. The placeholder has the
 * workbench's exact frame, so nothing moves when it arrives.
 */
import dynamic from 'next/dynamic';
import type { LabFileView } from '../../_lib/content/lessons.ts';
import type { NodeName } from '@contract/protocol.ts';
import styles from './workbench.module.css';

interface Props {
  lessonSlug: string;
  nodes: NodeName[];
  files: LabFileView[];
}

const Workbench = dynamic(() => import('./Workbench.tsx'), { ssr: false, loading: () => null });

export function WorkbenchLoader(props: Props) {
  return (
    <div className={styles.frame}>
      <Workbench {...props} />
      <WorkbenchSkeleton nodes={props.nodes} editor={props.files.length > 0} />
    </div>
  );
}

/** Shown until the workbench replaces it (CSS hides it once a sibling workbench exists). */
function WorkbenchSkeleton({ nodes, editor }: { nodes: NodeName[]; editor: boolean }) {
  return (
    <div className={styles.skeleton} aria-hidden="true">
      <div className={styles.bar}>
        <div className={styles.tabs}>
          {[...nodes, ...(editor ? ['Editor'] : [])].map((n) => (
            <span key={n} className={styles.tab}>
              {n}
            </span>
          ))}
        </div>
      </div>
      <div className={`${styles.status} ${styles['tone-busy']}`}>
        <span className={styles.statusDot} />
        <span className={styles.statusText}>Loading the workbench…</span>
      </div>
      <div className={styles.panels} />
    </div>
  );
}
