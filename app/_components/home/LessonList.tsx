'use client';
import Link from 'next/link';
import { useProgress, type LessonProgress } from '../../_lib/progress.ts';
import { continueTarget, isFinished } from './resume.ts';
import styles from './home.module.css';

export interface LessonCard {
  slug: string;
  title: string;
  summary: string;
  minutes: number;
  exercises: number;
}

function status(p: LessonProgress | undefined, exercises: number): { key: 'new' | 'started' | 'done'; text: string } {
  if (isFinished(p)) return { key: 'done', text: 'Done' };
  const passed = p?.passed?.length ?? 0;
  if (passed > 0) return { key: 'started', text: `${passed} of ${exercises} exercises done` };
  if (p?.visited) return { key: 'started', text: 'Started' };
  return { key: 'new', text: 'Not started' };
}

/** The lesson path, with each lesson's progress (from this browser's storage). */
export function LessonList({ lessons }: { lessons: LessonCard[] }) {
  const progress = useProgress();
  const resume = continueTarget(lessons, progress);
  const anyProgress = Object.keys(progress.lessons).length > 0;

  return (
    <>
      {resume && (
        <p className={styles.resume}>
          <Link className="btn btn-primary" href={`/lessons/${resume.slug}`}>
            {anyProgress ? 'Continue' : 'Start'}: {resume.title} →
          </Link>
        </p>
      )}
      {!resume && anyProgress && <p className={styles.resume}>You have finished every lesson.</p>}
      <ol className={styles.list}>
        {lessons.map((l, i) => {
          const s = status(progress.lessons[l.slug], l.exercises);
          return (
            <li key={l.slug} className={`${styles.card} ${styles[s.key]}`} data-lesson={l.slug} data-progress={s.key}>
              <span className={styles.number} aria-hidden="true">
                {s.key === 'done' ? '✓' : i + 1}
              </span>
              <div className={styles.body}>
                <h2 className={styles.title}>
                  <Link href={`/lessons/${l.slug}`}>{l.title}</Link>
                </h2>
                <p className={styles.summary}>{l.summary}</p>
                <p className={styles.facts}>
                  <span>{l.minutes} min</span>
                  {l.exercises > 0 && <span>{l.exercises === 1 ? '1 exercise' : `${l.exercises} exercises`}</span>}
                  <span className={styles.state}>{s.text}</span>
                </p>
              </div>
            </li>
          );
        })}
      </ol>
    </>
  );
}
