import { getLessons } from './_lib/content/lessons.ts';
import { LessonList } from './_components/home/LessonList.tsx';
import { SiteHeader } from './_components/ui/SiteHeader.tsx';
import styles from './_components/home/home.module.css';

export default async function HomePage() {
  const lessons = (await getLessons()).map((l) => ({
    slug: l.slug,
    title: l.title,
    summary: l.summary,
    minutes: l.minutes,
    exercises: l.exercises.length,
  }));
  const totalMinutes = lessons.reduce((sum, l) => sum + l.minutes, 0);

  return (
    <>
      <SiteHeader />
      <main id="main" className={styles.main}>
        <section className={styles.hero}>
          <h1>Learn Docker Swarm on a real swarm</h1>
          <p>
            Each lesson sits beside a terminal on your own disposable cluster: a manager and two workers. Type real <code>docker</code> commands, edit
            the lab files, and watch the exercises turn green.
          </p>
          {lessons.length > 0 && (
            <p className={styles.meta}>
              {lessons.length} lessons · about {Math.round(totalMinutes / 5) * 5} minutes
            </p>
          )}
        </section>
        {lessons.length > 0 ? (
          <LessonList lessons={lessons} />
        ) : (
          <p className={styles.empty}>No lessons yet: add them under content/lessons.</p>
        )}
      </main>
    </>
  );
}
