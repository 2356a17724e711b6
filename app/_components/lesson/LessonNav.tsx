'use client';
import Link from 'next/link';
import { useEffect, useRef } from 'react';
import type { LessonLink } from '../../_lib/content/lessons.ts';
import { progress } from '../../_lib/progress.ts';
import styles from './LessonNav.module.css';

/**
 * Previous / next at the end of the text. A lesson without exercises is read once these links come
 * into view (the learner scrolled to its end) or Next is followed: it then counts as finished, so
 * the home page's Continue does not send the learner back to it.
 */
export function LessonNav({ slug, hasExercises, prev, next }: { slug: string; hasExercises: boolean; prev: LessonLink | null; next: LessonLink | null }) {
  const ref = useRef<HTMLElement>(null);
  const finish = () => {
    if (!hasExercises) progress.markCompleted(slug);
  };
  useEffect(() => {
    const nav = ref.current;
    if (hasExercises || !nav || typeof IntersectionObserver === 'undefined') return;
    const seen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      progress.markCompleted(slug);
      seen.disconnect();
    });
    seen.observe(nav);
    return () => seen.disconnect();
  }, [slug, hasExercises]);
  return (
    <nav ref={ref} className={styles.nav} aria-label="Lessons">
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
