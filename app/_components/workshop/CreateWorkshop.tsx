'use client';
/**
 * The instructor's form: title, lessons, capacity, expected head count, start
 * and end. Answers with the links to share and to keep. Creating needs the
 * instructor key, which the operator's link carries in its #fragment (never
 * sent to a server); the page moves it into the form and out of the address bar.
 */
import { useEffect, useState } from 'react';
import type { CreateWorkshopResponse } from '@contract/workshop.ts';
import { callJson, workshopPaths } from './api.ts';
import styles from './workshop.module.css';

export function CreateWorkshop({ lessons }: { lessons: { slug: string; title: string }[] }) {
  const [title, setTitle] = useState('Docker Swarm workshop');
  const [chosen, setChosen] = useState(() => new Set(lessons.map((l) => l.slug)));
  const [capacity, setCapacity] = useState(20);
  const [expected, setExpected] = useState(10);
  const [starts, setStarts] = useState(() => localInput(Date.now()));
  const [ends, setEnds] = useState(() => localInput(Date.now() + 3 * 3600_000));
  const [mayReset, setMayReset] = useState(true);
  const [created, setCreated] = useState<CreateWorkshopResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState('');

  useEffect(() => {
    const fromLink = () => {
      const k = new URLSearchParams(location.hash.slice(1)).get('key');
      if (!k) return;
      setKey(k);
      history.replaceState(null, '', location.pathname + location.search);
    };
    fromLink();
    window.addEventListener('hashchange', fromLink); // the link opened on this page already
    return () => window.removeEventListener('hashchange', fromLink);
  }, []);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const startsAt = new Date(starts).getTime();
      const durationMin = Math.round((new Date(ends).getTime() - startsAt) / 60_000);
      if (!(durationMin >= 5)) throw new Error('The workshop must end at least 5 minutes after it starts.');
      const body = {
        title,
        lessons: lessons.filter((l) => chosen.has(l.slug)).map((l) => l.slug),
        capacity,
        expected: Math.min(expected, capacity),
        startsAt,
        durationMin,
        learnersMayReset: mayReset,
      };
      setCreated(await callJson<CreateWorkshopResponse>(workshopPaths.create, { method: 'POST', body, headers: key ? { Authorization: `Bearer ${key.trim()}` } : {} }));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  if (created) {
    const origin = location.origin;
    return (
      <main id="main" className={styles.narrow}>
        <h1>Workshop created</h1>
        {created.warning && (
          <p className={styles.warning} role="alert" data-testid="capacity-warning">
            {created.warning}
          </p>
        )}
        <div className={styles.card}>
          <p>Share with learners:</p>
          <p className={styles.code}>{created.joinCode}</p>
          <p>
            <code>{origin + created.joinUrl}</code>
          </p>
        </div>
        <div className={styles.card}>
          <p>
            <strong>Your private instructor link</strong> (anyone with it can run the dashboard; it is shown only once):
          </p>
          <p>
            <code style={{ wordBreak: 'break-all' }}>{origin + created.instructorUrl}</code>
          </p>
          <a className="btn btn-primary" href={created.instructorUrl}>
            Open the dashboard
          </a>
        </div>
      </main>
    );
  }

  return (
    <main id="main" className={styles.narrow}>
      <h1>New workshop</h1>
      {error && (
        <p className={styles.error} role="alert">
          {error}
        </p>
      )}
      <form className={`${styles.card} ${styles.form}`} onSubmit={create}>
        <label>
          Instructor key (from the link the server&apos;s operator gave you: <code>npm run instructor</code> prints it)
          <input type="password" name="instructor-key" value={key} onChange={(e) => setKey(e.target.value)} required autoComplete="off" />
        </label>
        <label>
          Title
          <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={120} />
        </label>
        <fieldset className={styles.form}>
          <legend>Lessons</legend>
          {lessons.map((l) => (
            <label key={l.slug} style={{ display: 'flex', fontWeight: 400 }}>
              <input
                type="checkbox"
                checked={chosen.has(l.slug)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.target.checked) next.add(l.slug);
                  else next.delete(l.slug);
                  setChosen(next);
                }}
              />
              {l.title}
            </label>
          ))}
        </fieldset>
        <label>
          Capacity (learners)
          <input type="number" min={1} max={200} value={capacity} onChange={(e) => setCapacity(Number(e.target.value))} />
        </label>
        <label>
          Expected learners (their clusters are warmed up 15 minutes before the start)
          <input type="number" min={0} max={200} value={expected} onChange={(e) => setExpected(Number(e.target.value))} />
        </label>
        <label>
          Starts
          <input type="datetime-local" value={starts} onChange={(e) => setStarts(e.target.value)} required />
        </label>
        <label>
          Ends (every learner cluster is removed then)
          <input type="datetime-local" value={ends} onChange={(e) => setEnds(e.target.value)} required />
        </label>
        <label style={{ display: 'flex', fontWeight: 400 }}>
          <input type="checkbox" checked={mayReset} onChange={(e) => setMayReset(e.target.checked)} /> Learners may reset their own cluster
        </label>
        <button className="btn btn-primary" type="submit" disabled={!chosen.size}>
          Create workshop
        </button>
      </form>
    </main>
  );
}

/** `YYYY-MM-DDTHH:MM` in local time, what a datetime-local input holds. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
