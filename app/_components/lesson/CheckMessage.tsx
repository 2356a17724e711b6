'use client';
import { Fragment } from 'react';
import type { NodeName } from '@contract/protocol.ts';
import { useBridge } from '../../_lib/bridge.tsx';
import { messageParts } from './message-parts.ts';
import styles from './lesson.module.css';

/**
 * A check's message or host note: `backticked` spans shown as code, and a Run button beside each
 * one that is a `docker ...` command (typed into the terminal of the node the message names
 * right before it, "on worker-1: `docker ...`", else into the exercise's own node).
 */
export function CheckMessage({ text, node }: { text: string; node: NodeName }) {
  const bridge = useBridge();
  return (
    <>
      {messageParts(text, node).map((part, i) => {
        if (part.kind === 'text') return <Fragment key={i}>{part.text}</Fragment>;
        if (!part.run) return <code key={i}>{part.text}</code>;
        const run = part.run;
        return (
          <span key={i} className={styles.messageCommand} data-run-node={run.node}>
            <code>{part.text}</code>
            <button
              type="button"
              className="btn btn-small btn-primary"
              title={`Type this command into the ${run.node} terminal and run it`}
              onClick={() => bridge.runCommand(run.node, run.command)}
            >
              <span aria-hidden="true">▶</span> Run<span className="visually-hidden"> {run.command} on {run.node}</span>
            </button>
          </span>
        );
      })}
    </>
  );
}
