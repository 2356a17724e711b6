'use client';
/**
 * A learner joins a workshop with a display name (no account). A browser that
 * already joined continues as the same learner: same cluster, same progress.
 */
import { useEffect, useState } from 'react';
import type { JoinInfo, JoinResponse } from '@contract/workshop.ts';
import { callJson, workshopPaths } from './api.ts';
import styles from './workshop.module.css';

export function JoinForm({ code }: { code: string }) {
  const [info, setInfo] = useState<JoinInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    callJson<JoinInfo>(workshopPaths.join(code)).then(setInfo, (err: Error) => setError(err.message));
  }, [code]);

  const go = (lesson: string) => location.assign(`/lessons/${lesson}`);

  async function join(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const joined = await callJson<JoinResponse>(workshopPaths.join(code), { method: 'POST', body: { name } });
      go(joined.lesson);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  return (
    <main id="main" className={styles.narrow}>
      <h1>{info ? info.title : 'Join a workshop'}</h1>
      <p className={styles.muted}>
        Workshop code <span className={styles.code}>{code.toUpperCase()}</span>
      </p>
      {error && (
        <p className={styles.error} role="alert">
          {error}
        </p>
      )}
      {info?.you ? (
        <div className={styles.card}>
          <p>
            You joined as <strong>{info.you.name}</strong>. Your cluster and your progress are waiting.
          </p>
          <button className="btn btn-primary" onClick={() => go(info.you!.lesson)}>
            Continue as {info.you.name}
          </button>
        </div>
      ) : info && !info.open ? (
        <p className={styles.error} role="alert">
          {info.reason}
        </p>
      ) : info ? (
        <form className={`${styles.card} ${styles.form}`} onSubmit={join}>
          <label>
            Your name (shown to your instructor)
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={40} required autoFocus autoComplete="nickname" />
          </label>
          <button className="btn btn-primary" type="submit" disabled={busy || !name.trim()}>
            {busy ? 'Joining…' : 'Join the workshop'}
          </button>
          <p className={styles.muted}>You get your own swarm: a manager and its workers, ready in a moment.</p>
        </form>
      ) : !error ? (
        <p className={styles.muted}>Looking up the workshop…</p>
      ) : null}
    </main>
  );
}
