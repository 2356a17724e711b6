import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getLabFiles, getLessonWithNeighbours, getLessons } from '../../_lib/content/lessons.ts';
import { mdxComponent } from '../../_lib/content/mdx.ts';
import { LessonNav } from '../../_components/lesson/LessonNav.tsx';
import { LessonShell } from '../../_components/lesson/LessonShell.tsx';
import { lessonComponents } from '../../_components/lesson/registry.tsx';
import { SiteHeader } from '../../_components/ui/SiteHeader.tsx';
import { WorkbenchLoader } from '../../_components/workbench/WorkbenchLoader.tsx';
import styles from './lesson.module.css';

interface Props {
  params: Promise<{ slug: string }>;
}

// Every lesson is rendered at build time; unknown slugs are a plain 404.
export const dynamicParams = false;

export async function generateStaticParams() {
  return (await getLessons()).map((l) => ({ slug: l.slug }));
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const found = await getLessonWithNeighbours((await params).slug);
  return found ? { title: found.lesson.title, description: found.lesson.summary } : {};
}

export default async function LessonPage({ params }: Props) {
  const found = await getLessonWithNeighbours((await params).slug);
  if (!found) notFound();
  const { lesson, index, total, prev, next } = found;
  const Content = mdxComponent(lesson.code);
  const files = await getLabFiles(lesson.files);

  const text = (
    <article className={`prose ${styles.text}`} id="main" tabIndex={-1}>
      <p className={styles.kicker}>
        Lesson {index + 1} of {total} · about {lesson.minutes} min
      </p>
      <h1>{lesson.title}</h1>
      <Content components={lessonComponents(lesson)} />
      <LessonNav slug={lesson.slug} hasExercises={lesson.exercises.length > 0} prev={prev} next={next} />
    </article>
  );

  return (
    <>
      <SiteHeader>
        <nav className={styles.crumbs} aria-label="Breadcrumb">
          <Link href="/">Lessons</Link>
          <span aria-hidden="true">/</span>
          <span aria-current="page" className={styles.current}>
            {lesson.title}
          </span>
        </nav>
        <span className={styles.stepper}>
          {prev ? (
            <Link className="btn btn-small" href={`/lessons/${prev.slug}`} aria-label={`Previous lesson: ${prev.title}`}>
              ←
            </Link>
          ) : null}
          <span className={styles.count}>
            {index + 1}/{total}
          </span>
          {next ? (
            <Link className="btn btn-small" href={`/lessons/${next.slug}`} aria-label={`Next lesson: ${next.title}`}>
              →
            </Link>
          ) : null}
        </span>
      </SiteHeader>
      <main className={styles.main}>
        <LessonShell
          slug={lesson.slug}
          exerciseIds={lesson.exercises.map((e) => e.id)}
          text={text}
          workbench={<WorkbenchLoader lessonSlug={lesson.slug} nodes={lesson.nodes} files={files} />}
        />
      </main>
    </>
  );
}
