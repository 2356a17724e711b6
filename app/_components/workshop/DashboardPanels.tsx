'use client';
/** The dashboard's smaller panels: catch-up status, what the room is stuck on, pre-warm, messages and "bring everyone to". */
import { Fragment, useState } from 'react';
import type { Dashboard, InstructorMessage } from '@contract/workshop.ts';
import { callJson, workshopPaths } from './api.ts';
import styles from './workshop.module.css';

export function CatchUpNote({ c }: { c: NonNullable<Dashboard['learners'][number]['catchUp']> }) {
  const text =
    c.state === 'waiting'
      ? `waiting to apply ${c.total} earlier solution${c.total === 1 ? '' : 's'}`
      : c.state === 'running'
        ? `applying ${c.done + 1}/${c.total}: ${c.message ?? ''}`
        : c.state === 'done'
          ? `caught up (${c.total} earlier exercise${c.total === 1 ? '' : 's'} done)`
          : `catch-up stopped at ${c.message ?? 'an error'}`;
  return (
    <div className={c.state === 'stopped' ? styles.error : styles.muted} data-catch-up={c.state}>
      {text}
    </div>
  );
}

/** What the room is stuck on: per exercise, the check messages learners working on it see most. */
export function CommonFailures({ exercises }: { exercises: Dashboard['exercises'] }) {
  const failing = exercises.filter((e) => e.failing.length);
  if (!failing.length) return null;
  return (
    <section className={styles.card} aria-label="Common failing checks">
      <h2 style={{ marginTop: 0 }}>What learners are stuck on</h2>
      <ul>
        {failing.map((e) => (
          <li key={e.key} data-exercise={e.key}>
            <strong>{e.key}</strong>
            <ul>
              {e.failing.map((f) => (
                <li key={f.message}>
                  {f.learners} × <q>{f.message}</q>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function PrewarmForm({ id, workshop, pool, onDone }: { id: string; workshop: Dashboard['workshop']; pool: Dashboard['pool']; onDone: (text: string) => void }) {
  const [expected, setExpected] = useState(workshop.expected || 10);
  const later = workshop.expected > 0 && workshop.prewarmAt > Date.now();
  return (
    <form
      className={styles.inline}
      onSubmit={(e) => {
        e.preventDefault();
        callJson(workshopPaths.prewarm(id), { method: 'POST', body: { expected } }).then(() => onDone(`Pre-warming clusters for ${expected} learners.`), (err: Error) => onDone(err.message));
      }}
    >
      <label>
        Expected learners <input type="number" min={0} max={200} value={expected} onChange={(e) => setExpected(Number(e.target.value))} style={{ width: 70 }} />
      </label>
      <button className="btn" type="submit">
        Pre-warm
      </button>
      <span className={styles.muted} role="status">
        <progress max={Math.max(pool.target, 1)} value={Math.min(pool.ready, pool.target)} aria-label="Warm clusters ready" /> warm clusters: {pool.ready}/{pool.target}
        {later && ` · ${workshop.expected} more from ${new Date(workshop.prewarmAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`}
        {pool.target >= pool.hostLimit && ` · this server runs at most ${pool.hostLimit} clusters`}
      </span>
    </form>
  );
}

export function Broadcast({ lessons, send }: { lessons: string[]; send: (msg: InstructorMessage) => void }) {
  const [text, setText] = useState('');
  const [lesson, setLesson] = useState(lessons[0] ?? '');
  return (
    <div className={`${styles.card} ${styles.inline}`}>
      <form
        className={styles.inline}
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) send({ type: 'broadcast', text });
          setText('');
        }}
      >
        <label>
          Message to everyone <input value={text} onChange={(e) => setText(e.target.value)} maxLength={500} style={{ width: 280 }} />
        </label>
        <button className="btn" type="submit">
          Send
        </button>
      </form>
      <form
        className={styles.inline}
        onSubmit={(e) => {
          e.preventDefault();
          send({ type: 'bringTo', lesson });
        }}
      >
        <label>
          Bring everyone to{' '}
          <select value={lesson} onChange={(e) => setLesson(e.target.value)}>
            {lessons.map((l, i) => (
              <Fragment key={l}>
                <option value={l}>
                  {i + 1}. {l}
                </option>
              </Fragment>
            ))}
          </select>
        </label>
        <button className="btn" type="submit">
          Go
        </button>
        <span className={styles.muted}>opens it for everyone and applies the earlier solutions each learner has not done</span>
      </form>
    </div>
  );
}
