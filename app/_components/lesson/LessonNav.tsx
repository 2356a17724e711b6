'use client';
import Link from 'next/link';
import type { LessonLink } from '../../_lib/content/lessons.ts';
import { progress } from '../../_lib/progress.ts';
import styles from './LessonNav.module.css';

/** Previous / next at the end of the text. Moving on from a lesson without exercises completes it. */
export function LessonNav({ slug, hasExercises, prev, next }: { slug: string; hasExercises: boolean; prev: LessonLink | null; next: LessonLink | null }) {
  const finish = () => {
    if (!hasExercises) progress.markCompleted(slug);
  };
  return (
    <nav className={styles.nav} aria-label="Lessons">
      {prev ? (
        <Link className={styles.prev} href={`/lessons/${prev.slug}`} rel="prev">
          <span className={styles.dir}>← Previous</span>
          <span className={styles.title}>{prev.title}</span>
        </Link>
      ) : (
        <span />
      )}
      {next ? (
        <Link className={styles.next} href={`/lessons/${next.slug}`} rel="next" onClick={finish}>
          <span className={styles.dir}>Next →</span>
          <span className={styles.title}>{next.title}</span>
        </Link>
      ) : (
        <Link className={styles.next} href="/" onClick={finish}>
          <span className={styles.dir}>Finished</span>
          <span className={styles.title}>Back to all lessons</span>
        </Link>
      )}
    </nav>
  );
}
