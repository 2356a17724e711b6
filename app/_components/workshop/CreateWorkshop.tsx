'use client';
/** The instructor's form: title, lessons, capacity, duration. Answers with the links to share and to keep. */
import { useState } from 'react';
import type { CreateWorkshopResponse } from '../../../sandbox-server/src/protocol/workshop';
import { callJson, workshopPaths } from './api';
import styles from './workshop.module.css';

export function CreateWorkshop({ lessons }: { lessons: { slug: string; title: string }[] }) {
  const [title, setTitle] = useState('Docker Swarm workshop');
  const [chosen, setChosen] = useState(() => new Set(lessons.map((l) => l.slug)));
  const [capacity, setCapacity] = useState(20);
  const [hours, setHours] = useState(3);
  const [mayReset, setMayReset] = useState(true);
  const [created, setCreated] = useState<CreateWorkshopResponse | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const body = { title, lessons: lessons.filter((l) => chosen.has(l.slug)).map((l) => l.slug), capacity, durationMin: Math.round(hours * 60), learnersMayReset: mayReset };
      setCreated(await callJson<CreateWorkshopResponse>(workshopPaths.create, { method: 'POST', body }));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  if (created) {
    const origin = location.origin;
    return (
      <main id="main" className={styles.narrow}>
        <h1>Workshop created</h1>
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
          Duration (hours)
          <input type="number" min={0.25} max={168} step={0.25} value={hours} onChange={(e) => setHours(Number(e.target.value))} />
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
