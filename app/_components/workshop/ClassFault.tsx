'use client';
/** "Watch the swarm heal", for the whole class: fire one fault on every learner's cluster, then see whose swarm recovered. */
import { useState } from 'react';
import { classNodes, type ClassFault, type Dashboard, type InstructorMessage } from '@contract/workshop.ts';
import type { NodeName } from '@contract/protocol.ts';
import styles from './workshop.module.css';

type Kind = ClassFault['kind'];
const KINDS: { kind: Kind; text: string }[] = [
  { kind: 'drain', text: 'Drain a node' },
  { kind: 'stopEngine', text: "Stop a node's engine for a minute" },
  { kind: 'killTask', text: 'Kill one task of a service' },
  { kind: 'activate', text: 'Make a node active again' },
];

const STATE_TEXT: Record<NonNullable<Dashboard['learners'][number]['fault']>['state'], string> = {
  waiting: 'waiting',
  firing: 'breaking…',
  healing: 'healing…',
  recovered: 'recovered',
  unrecovered: 'not recovered',
  skipped: 'skipped',
};

export function ClassFaultPanel({ learners, send, disabled }: { learners: Dashboard['learners']; send: (msg: InstructorMessage) => void; disabled: boolean }) {
  const [kind, setKind] = useState<Kind>('drain');
  const nodes = classNodes(learners);
  const [picked, setNode] = useState<NodeName>('worker-2');
  // The clusters decide which nodes there are (0 to 9 workers); a pick they lack falls back to the last worker, or the manager.
  const node = nodes.includes(picked) ? picked : nodes[nodes.length - 1]!;
  const [service, setService] = useState('flask_app');
  const hit = learners.filter((l) => l.fault);
  const recovered = hit.filter((l) => l.fault!.state === 'recovered').length;
  const label = hit[0]?.fault?.label;

  const fault: ClassFault = kind === 'killTask' ? { kind, service } : kind === 'stopEngine' ? { kind, node, seconds: 60 } : { kind, node };
  return (
    <section className={styles.card} aria-label="Class fault">
      <form
        className={styles.inline}
        onSubmit={(e) => {
          e.preventDefault();
          if (confirm(`Break every learner's cluster now (${KINDS.find((k) => k.kind === kind)!.text.toLowerCase()})?`)) send({ type: 'fault', fault });
        }}
      >
        <label>
          Class fault{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} aria-label="Fault">
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.text}
              </option>
            ))}
          </select>
        </label>
        {kind === 'killTask' ? (
          <label>
            Service or image <input value={service} onChange={(e) => setService(e.target.value)} maxLength={120} style={{ width: 140 }} />
          </label>
        ) : (
          <label>
            Node{' '}
            <select value={node} onChange={(e) => setNode(e.target.value)} aria-label="Node">
              {nodes.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
        <button className="btn btn-danger" type="submit" disabled={disabled}>
          Fire for everyone
        </button>
        <span className={styles.muted}>everyone watches their own swarm heal; this list shows whose did</span>
      </form>
      {label && (
        <>
          <p role="status" data-testid="fault-summary">
            <strong>{label}</strong>: {recovered} of {hit.length} cluster{hit.length === 1 ? '' : 's'} recovered
          </p>
          <ul className={styles.faultList}>
            {hit.map((l) => {
              const f = l.fault!;
              return (
                <li key={l.id} data-fault-learner={l.name} data-fault-state={f.state}>
                  <strong>{l.name}</strong>:{' '}
                  <span className={f.state === 'unrecovered' || f.state === 'skipped' ? styles.error : undefined}>{STATE_TEXT[f.state]}</span>
                  {f.recoveredMs !== undefined && ` in ${(f.recoveredMs / 1000).toFixed(0)} s`}
                  {f.message && <span className={styles.muted}> · {f.message}</span>}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}
