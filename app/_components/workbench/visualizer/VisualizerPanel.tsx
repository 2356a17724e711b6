'use client';
/**
 * The cluster picture beside the terminals: a column per swarm node, a box per task under the node
 * it runs on, a colour per service. Same model and layout as the stand-in visualizer image
 * (sandbox-server/src/visualizer). A table view carries the same facts for screen readers and
 * keyboard users, and a polite live region says what changed.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ClusterState } from '@contract/protocol.ts';
import { describeChanges, layoutCluster, serviceColours, type ClusterLayout, type TaskBox } from '@contract/visualizer/layout.ts';
import { usePrefersDark } from '../useSandbox.ts';
import styles from './visualizer.module.css';

/** The services the current exercise is about, highlighted until its check passes. */
export interface VisualizerFocus {
  services: string[];
  /** Why they are highlighted, shown and read out beside the picture. */
  why: string;
}

interface Props {
  state: ClusterState | null;
  /** Waiting text when there is no picture yet (connecting, cluster starting). */
  waitingText: string;
  focus?: VisualizerFocus | null;
}

type View = 'picture' | 'table';

export function VisualizerPanel({ state, waitingText, focus }: Props) {
  const dark = usePrefersDark();
  const [view, setView] = useState<View>('picture');
  const layout = useMemo(() => (state ? layoutCluster(state) : null), [state]);
  const announcement = useChangeAnnouncement(state);

  if (!state || !layout) {
    return (
      <div className={styles.root}>
        <p className={styles.empty} role="status">
          {waitingText}
        </p>
      </div>
    );
  }

  const running = state.tasks.filter((t) => t.state === 'running').length;
  const summary =
    state.swarm === 'active' && state.nodes.length
      ? `${plural(state.nodes.length, 'node')} · ${plural(state.services.length, 'service')} · ${running}/${state.tasks.length} tasks running`
      : 'No swarm yet';

  return (
    <div className={styles.root} data-swarm={state.swarm}>
      <div className={styles.toolbar}>
        <p className={styles.summary}>{summary}</p>
        <div role="group" aria-label="Show the cluster as" className={styles.viewSwitch}>
          {(['picture', 'table'] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} className={styles.viewButton} onClick={() => setView(v)}>
              {v === 'picture' ? 'Picture' : 'Table'}
            </button>
          ))}
        </div>
      </div>
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
      {state.message && <p className={styles.message}>{state.message}</p>}
      {state.outside.length > 0 && state.swarm === 'active' && (
        <p className={styles.outside}>Not in the swarm: {state.outside.join(', ')}</p>
      )}
      {focus && focus.services.length > 0 && (
        <p className={styles.focusNote} data-focus-note>
          Highlighted: <strong>{focus.services.join(', ')}</strong>, {focus.why}
        </p>
      )}
      <Legend layout={layout} dark={dark} focus={focus?.services} />
      {view === 'picture' ? <Picture layout={layout} dark={dark} focus={focus?.services} /> : <Tables state={state} layout={layout} />}
    </div>
  );
}

function Legend({ layout, dark, focus }: { layout: ClusterLayout; dark: boolean; focus?: string[] }) {
  if (!layout.legend.length) return null;
  return (
    <ul className={styles.legend} aria-label="Services">
      {layout.legend.map(({ service, hue, tasks }) => {
        const c = serviceColours(hue, dark);
        const ports = service.ports.map((p) => `${p.published}→${p.target}${p.protocol === 'tcp' ? '' : `/${p.protocol}`} ${p.mode}`).join(', ');
        return (
          <li key={service.id} data-service={service.name} data-focus={focus?.includes(service.name) || undefined}>
            <span className={styles.swatch} style={{ background: c.background, borderColor: c.border }} aria-hidden="true" />
            <strong>{service.name}</strong>
            <span className={styles.muted}>
              {service.image} · {service.replicas !== null ? `${service.running}/${service.replicas}` : `${service.running}/${tasks} (global)`}
              {ports && ` · ${ports}`}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Picture({ layout, dark, focus }: { layout: ClusterLayout; dark: boolean; focus?: string[] }) {
  if (!layout.columns.length) return null;
  return (
    // Scrollable with the keyboard too (10 nodes, 100 tasks do not fit a laptop pane).
    <div className={`${styles.columns} ${layout.compact ? styles.compact : ''}`} tabIndex={0} role="region" aria-label="Nodes and their tasks">
      {layout.columns.map((col) => (
        <section
          key={col.id || 'unplaced'}
          className={`${styles.column} ${col.healthy ? '' : styles.unhealthy}`}
          aria-label={`${col.title}: ${col.summary}, ${plural(col.tasks.length, 'task')}`}
          data-node={col.title}
        >
          <h3 className={styles.nodeTitle}>
            {col.title}
            {col.node?.leader && <span className={styles.leader} aria-hidden="true" title="Leader of the managers">★</span>}
          </h3>
          <p className={styles.nodeMeta}>{col.summary}</p>
          <ul className={styles.tasks}>
            {col.tasks.map((t) => (
              <Task key={t.id} task={t} dark={dark} focused={!!focus?.includes(t.service)} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function Task({ task, dark, focused }: { task: TaskBox; dark: boolean; focused: boolean }) {
  const c = serviceColours(task.hue, dark);
  return (
    <li
      className={`${styles.task} ${styles[`tone-${task.tone}`]} ${focused ? styles.focused : ''}`}
      style={{ background: c.background, borderColor: c.border, color: c.text }}
      data-task={task.label}
      data-state={task.state}
      data-focus={focused || undefined}
      title={task.note}
    >
      <strong className={styles.taskLabel}>{task.label}</strong>
      <span className={styles.taskImage}>{task.image}</span>
      <span className={styles.taskState}>
        {task.state}
        {task.note && task.tone !== 'running' ? `: ${task.note}` : ''}
      </span>
    </li>
  );
}

function Tables({ state, layout }: { state: ClusterState; layout: ClusterLayout }) {
  return (
    <div className={styles.tables} tabIndex={0} role="region" aria-label="Cluster as tables">
      <table className={styles.table}>
        <caption>Nodes</caption>
        <thead>
          <tr>
            <th scope="col">Hostname</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Availability</th>
            <th scope="col">Leader</th>
            <th scope="col">Tasks</th>
          </tr>
        </thead>
        <tbody>
          {state.nodes.map((n) => (
            <tr key={n.id}>
              <th scope="row">{n.hostname}</th>
              <td>{n.role}</td>
              <td>{n.status}</td>
              <td>{n.availability}</td>
              <td>{n.leader ? 'yes' : 'no'}</td>
              <td>{state.tasks.filter((t) => t.nodeId === n.id).length}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className={styles.table}>
        <caption>Tasks</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Node</th>
            <th scope="col">Service</th>
            <th scope="col">Image</th>
            <th scope="col">Slot</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {layout.columns.flatMap((col) =>
            col.tasks.map((t) => (
              <tr key={t.id}>
                <th scope="row">{t.label}</th>
                <td>{col.title}</td>
                <td>{t.service}</td>
                <td>{t.image}</td>
                <td>{t.slot ?? '–'}</td>
                <td>
                  {t.state}
                  {t.note && t.tone !== 'running' ? `: ${t.note}` : ''}
                </td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}

/** What changed since the previous picture, as a sentence for the live region (at most five facts). */
function useChangeAnnouncement(state: ClusterState | null): string {
  const previous = useRef<ClusterState | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    const changes = state ? describeChanges(previous.current, state) : [];
    previous.current = state;
    if (changes.length) setText(changes.length > 5 ? `${changes.slice(0, 5).join('; ')}; and ${changes.length - 5} more changes` : changes.join('; '));
  }, [state]);
  return text;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
