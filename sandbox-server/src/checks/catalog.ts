/**
 * The exercises the server checks, read from the lessons' frontmatter
 * (`content/lessons/NN-slug.mdx`). The full lesson contract is validated by
 * content/load.ts at build and test time with the same schema; here only what
 * checking needs is kept, and a lesson is re-read when its file changes
 * (lesson writers see their edits without a restart).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { forHost, hostFactOf, lessonFrontmatter, type ExerciseOrder } from '@contract/lesson.ts';
import { lessonFiles, splitFrontmatter } from '@contract/lesson-file.ts';
import type { NodeName } from '@contract/protocol.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { ExerciseCheck } from '@contract/checks.ts';

export interface CheckedExercise {
  id: string;
  title: string;
  check: ExerciseCheck | undefined;
  /** The earlier exercise this one follows (frontmatter `after`): it passes only after that one passed. */
  after?: ExerciseOrder;
  hold: boolean;
  solution: { node: NodeName; run: string }[];
}

export interface LessonChecks {
  slug: string;
  file: string;
  exercises: CheckedExercise[];
}

/** How long a look at the lessons folder is trusted: edits show within a second, and a room's dashboard does not stat files hundreds of times a refresh. */
const FRESH_MS = 1000;

export class LessonCatalog {
  private readonly cache = new Map<string, { mtimeMs: number; checkedAt: number; lesson: LessonChecks | null }>();
  private listing: { at: number; files: [string, string][] } | null = null;

  /** `ipvs`: this host's fact; solutions keep only the steps meant for such a host (frontmatter `host:`). */
  constructor(
    private readonly lessonsDir: string,
    private readonly log: Logger,
    private readonly host: { ipvs: boolean } = { ipvs: true },
  ) {}

  /** The lesson with this slug, or undefined when there is none (or it does not parse). */
  get(slug: string): LessonChecks | undefined {
    const file = this.fileOf(slug);
    if (!file) return undefined;
    const now = Date.now();
    const cached = this.cache.get(file);
    if (cached && now - cached.checkedAt < FRESH_MS) return cached.lesson ?? undefined;
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return undefined;
    }
    const lesson = cached && cached.mtimeMs === mtimeMs ? cached.lesson : this.read(file, slug);
    this.cache.set(file, { mtimeMs, checkedAt: now, lesson });
    return lesson ?? undefined;
  }

  slugs(): string[] {
    return this.files().map(([, slug]) => slug);
  }

  private files(): [string, string][] {
    const now = Date.now();
    if (this.listing && now - this.listing.at < FRESH_MS) return this.listing.files;
    let names: string[];
    try {
      names = fs.readdirSync(this.lessonsDir);
    } catch {
      names = [];
    }
    const files = lessonFiles(names).map(({ name, slug }): [string, string] => [path.join(this.lessonsDir, name), slug]);
    this.listing = { at: now, files };
    return files;
  }

  private fileOf(slug: string): string | undefined {
    return this.files().find(([, s]) => s === slug)?.[0];
  }

  private read(file: string, slug: string): LessonChecks | null {
    try {
      const split = splitFrontmatter(fs.readFileSync(file, 'utf8'));
      if (!split) throw new Error('no frontmatter');
      const parsed = lessonFrontmatter.safeParse(parse(split.yaml) ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`frontmatter ${issue.path.join('.')}: ${issue.message}`);
      }
      return {
        slug,
        file,
        exercises: parsed.data.exercises.map((e) => ({
          id: e.id,
          title: e.title,
          check: e.check,
          ...(e.after ? { after: e.after } : {}),
          hold: e.check?.hold === true,
          solution: forHost(e.solution, hostFactOf(this.host.ipvs)).map(({ node, run }) => ({ node, run })),
        })),
      };
    } catch (err) {
      // The build rejects such a lesson with every detail; the server just does not check it.
      this.log.error('lesson not usable for checks', { file, error: errorMessage(err) });
      return null;
    }
  }
}
