'use client';
import { useId, useState } from 'react';
import type { NodeName } from '@contract/protocol.ts';
import { useBridge } from '../../_lib/bridge.tsx';
import { CopyButton } from '../ui/CopyButton.tsx';
import styles from './lesson.module.css';

/** A command with Run (types it into that node's terminal) and Copy. */
export function CommandBlock({ node = 'manager', code }: { node?: NodeName; code: string }) {
  const bridge = useBridge();
  const id = useId();
  const [sent, setSent] = useState(0);

  return (
    <div className={styles.command} data-command-node={node}>
      <div className={styles.commandHead}>
        <span className={styles.nodeBadge} id={`${id}-node`}>
          <span className="visually-hidden">on </span>
          {node}
        </span>
        <span className={styles.commandActions}>
          <button
            type="button"
            className="btn btn-small btn-primary"
            aria-describedby={`${id}-code ${id}-node`}
            onClick={() => {
              bridge.runCommand(node, code);
              setSent((n) => n + 1);
            }}
          >
            <span aria-hidden="true">▶</span> Run
          </button>
          <CopyButton text={code} />
        </span>
      </div>
      <pre className={styles.commandCode}>
        <code id={`${id}-code`}>{code}</code>
      </pre>
      <span className="visually-hidden" role="status">
        {sent ? `Sent to the ${node} terminal` : ''}
      </span>
    </div>
  );
}
