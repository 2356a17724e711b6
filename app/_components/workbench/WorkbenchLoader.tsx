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

/**
 * Import again when the browser dropped the workbench's code (net::ERR_NETWORK_CHANGED when a
 * network comes or goes, a blip): the bundler forgets a failed chunk, so a new try fetches it anew.
 * After the last try, say so and offer a reload instead of "Loading..." forever.
 */
async function importWorkbench(tries = 4): Promise<{ default: (props: Props) => React.ReactNode }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await import('./Workbench.tsx');
    } catch {
      if (attempt >= tries) return { default: WorkbenchFailed };
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

const Workbench = dynamic(() => importWorkbench(), { ssr: false, loading: () => null });

export function WorkbenchLoader(props: Props) {
  return (
    <div className={styles.frame}>
      <Workbench {...props} />
      <WorkbenchSkeleton nodes={props.nodes} editor={props.files.length > 0} />
    </div>
  );
}

function WorkbenchFailed() {
  return (
    <section className={styles.workbench} aria-label="Workbench">
      <div className={`${styles.status} ${styles['tone-error']}`} role="alert">
        <span className={styles.statusDot} />
        <span className={styles.statusText}>The workbench could not be loaded: the connection to this site dropped. Reload the page to try again.</span>
        <button type="button" className="btn btn-small" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    </section>
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
