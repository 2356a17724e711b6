/**
 * Reads, validates and compiles the lessons in `content/lessons/NN-slug.mdx`.
 *
 * Everything a lesson writer can get wrong fails here, at build or test time,
 * with the file, the line when known, and the reason: bad frontmatter, unknown
 * components or attributes, `<Exercise id>` not in the frontmatter, nodes that
 * are not in the lesson's cluster, lab files that do not exist, exercises
 * without a check, hints, solution or two wrong answers, checks that do
 * not parse (unknown kind, bad parameters), and an exercise order (`after`)
 * that names no exercise, itself, a cycle or an exercise placed later.
 *
 * Server/Node only (fs, esbuild). Directories are passed in, never guessed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bundleMDX } from 'mdx-bundler';
import remarkGfm from 'remark-gfm';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import type { NodeName } from '@contract/protocol.ts';
import { labFilesDirOf, lessonsDirOf } from './dirs.ts';
import { clusterNodes, lessonFrontmatter, type HostFact, type LessonFrontmatter, type Exercise } from '@contract/lesson.ts';
import { isLessonSource, lessonFileName, splitFrontmatter, type SplitLesson } from '@contract/lesson-file.ts';
import { lintExerciseOrder, lintExercises, lintLessonTree, type LintContext } from './lint.ts';

export interface ContentDirs {
  /** Folder holding `lessons/` and `files/` (normally `<repo>/content`). */
  contentDir: string;
  /** Defaults to `<contentDir>/lessons`. */
  lessonsDir?: string;
  /** Defaults to `<contentDir>/files`. */
  filesDir?: string;
}

/** Exercise data the browser gets (no `check`: that is the server's business). */
export interface ExerciseView {
  id: string;
  title: string;
  /** Hints and solution steps; those with `host` are only for that kind of host (see forHost in contract/lesson.ts). */
  hints: { text: string; host?: HostFact }[];
  solution: { node: NodeName; run: string; host?: HostFact }[];
}

export interface CompiledLesson {
  slug: string;
  /** Source file, for messages (relative to the working directory when inside it). */
  file: string;
  order: number;
  title: string;
  summary: string;
  minutes: number;
  /** Node names of the lesson's cluster, manager first. */
  nodes: NodeName[];
  /** Editor files: frontmatter `files` followed by any other file a <FileRef> opens. */
  files: string[];
  exercises: ExerciseView[];
  frontmatter: LessonFrontmatter;
  /** mdx-bundler output: a function body returning the module (see app/_lib/content/mdx.tsx). */
  code: string;
}

export interface ValidationResult {
  lessons: CompiledLesson[];
  /** One line per problem: `file[:line[:col]]: reason`. Empty = all good. */
  errors: string[];
}

export class LessonValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid lessons (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'LessonValidationError';
  }
}

function dirsOf(d: ContentDirs) {
  return {
    lessonsDir: d.lessonsDir ?? lessonsDirOf(d.contentDir),
    filesDir: d.filesDir ?? labFilesDirOf(d.contentDir),
  };
}

function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** All lab files under `filesDir`, as `/`-separated relative paths. */
export async function listLabFiles(filesDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  async function walk(dir: string, prefix: string) {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), rel);
      else if (e.isFile()) out.add(rel);
    }
  }
  await walk(filesDir, '');
  return out;
}

/** The lesson files present, sorted by name; `[]` if the folder is missing. */
export async function listLessonFiles(lessonsDir: string): Promise<string[]> {
  try {
    return (await fs.readdir(lessonsDir)).filter(isLessonSource).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

// ---------------------------------------------------------------- frontmatter

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** Parse + validate the frontmatter; problems are complete messages; `lineAt` finds a path's line. */
function parseFrontmatter(file: string, split: SplitLesson): { data?: LessonFrontmatter; problems: string[]; lineAt?: (path: (string | number)[]) => string } {
  const lc = new LineCounter();
  const doc = parseDocument(split.yaml, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `:${pos.line + split.yamlFirstLine - 1}:${pos.col}` : '';
        return `${file}${where}: frontmatter is not valid YAML: ${e.message.split('\n')[0]}`;
      }),
    };
  }
  const lineAt = (path: readonly PropertyKey[]): string => {
    // Point at the offending YAML node, or its nearest existing parent.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) return `:${lc.linePos(node.range[0]).line + split.yamlFirstLine - 1}`;
    }
    return '';
  };
  const parsed = lessonFrontmatter.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { data: parsed.data, problems: [], lineAt };
  const lineOf = (issue: z.core.$ZodIssue): string => lineAt(issue.path);
  return {
    problems: parsed.error.issues.map((issue) => {
      const at = issue.path.length ? formatPath(issue.path) : '(top level)';
      const reason = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message;
      return `${file}${lineOf(issue)}: frontmatter ${at}: ${reason}`;
    }),
  };
}

// ---------------------------------------------------------------- one lesson

async function compileLesson(
  absFile: string,
  labFiles: ReadonlySet<string>,
): Promise<{ lesson?: CompiledLesson; problems: string[] }> {
  const file = displayPath(absFile);
  const name = path.basename(absFile);
  const named = lessonFileName(name);
  if (!named) return { problems: [`${file}: lesson files are named NN-slug.mdx (two digits, lowercase slug), e.g. 02-swarm-init.mdx`] };
  const { slug } = named;

  const source = await fs.readFile(absFile, 'utf8');
  const split = splitFrontmatter(source);
  if (!split) return { problems: [`${file}:1: a lesson starts with YAML frontmatter between two --- lines`] };

  const fm = parseFrontmatter(file, split);
  if (!fm.data) return { problems: fm.problems };
  const data = fm.data;
  const problems: string[] = [];

  data.files.forEach((f) => {
    if (!labFiles.has(f)) problems.push(`${file}: frontmatter files: "${f}" does not exist in content/files`);
  });
  problems.push(
    ...lintExercises(data.exercises, { file, nodes: new Set(clusterNodes(data.cluster.workers)), labFiles, lineAt: fm.lineAt ?? (() => '') }),
  );

  const ctx: LintContext = {
    file,
    lineOffset: split.bodyLineOffset,
    source: split.body,
    nodes: new Set(clusterNodes(data.cluster.workers)),
    exerciseIds: new Set(data.exercises.map((e) => e.id)),
    labFiles,
    problems,
    placedExercises: new Map(),
    fileRefs: new Set(),
  };

  let code = '';
  const lintBefore = problems.length;
  try {
    const result = await bundleMDX({
      source: split.body,
      cwd: path.dirname(absFile),
      // We report errors ourselves, with lesson line numbers.
      esbuildOptions: (options) => ({ ...options, logLevel: 'silent' }),
      mdxOptions(options) {
        options.remarkPlugins = [...(options.remarkPlugins ?? []), remarkGfm, [lintLessonTree, ctx]];
        return options;
      },
    });
    code = result.code;
  } catch (err) {
    // After a lint problem (e.g. an import) esbuild's follow-up errors are noise.
    if (problems.length === lintBefore) problems.push(...formatBuildError(file, split.bodyLineOffset, err));
  }

  for (const ex of data.exercises) {
    if (!ctx.placedExercises.has(ex.id) && problems.length === 0) {
      problems.push(`${file}: exercise "${ex.id}" is declared in the frontmatter but never placed in the text with <Exercise id="${ex.id}" />`);
    }
  }
  problems.push(...lintExerciseOrder(data.exercises, ctx.placedExercises, { file, lineAt: fm.lineAt ?? (() => '') }));
  if (problems.length) return { problems };

  const files = [...data.files, ...[...ctx.fileRefs].filter((f) => !data.files.includes(f))];
  return {
    problems,
    lesson: {
      slug,
      file,
      order: data.order,
      title: data.title,
      summary: data.summary,
      minutes: data.minutes,
      nodes: clusterNodes(data.cluster.workers),
      files,
      exercises: data.exercises.map(toExerciseView),
      frontmatter: data,
      code,
    },
  };
}

function toExerciseView(e: Exercise): ExerciseView {
  return {
    id: e.id,
    title: e.title,
    hints: e.hints.map((h) => (h.host ? { text: h.text, host: h.host } : { text: h.text })),
    solution: e.solution.map((s) => (s.host ? { node: s.node, run: s.run, host: s.host } : { node: s.node, run: s.run })),
  };
}

interface EsbuildMessage {
  text: string;
  location?: { line: number; column: number } | null;
}

/** esbuild wraps MDX syntax errors and our plugin's throws; point at the lesson line. */
function formatBuildError(file: string, lineOffset: number, err: unknown): string[] {
  const messages = (err as { errors?: EsbuildMessage[] }).errors;
  if (Array.isArray(messages) && messages.length) {
    return messages.map((m) => {
      // MDX puts the real position in the text ("1:1: Expected a closing tag
      // for `<Note>` (3:1-3:7)"); esbuild's own location is the entry stub.
      const text = m.text.replace(/^Cannot process MDX file with esbuild:\s*/, '').replace(/\s*\[plugin @mdx-js\/esbuild\]\s*$/, '');
      const pos = /\((\d+):(\d+)-\d+:\d+\)/.exec(text) ?? /^(\d+):(\d+)(?:-\d+:\d+)?:/.exec(text);
      const where = pos ? `:${Number(pos[1]) + lineOffset}:${pos[2]}` : '';
      const reason = text.replace(/^\d+:\d+(?:-\d+:\d+)?:\s*/, '').replace(/\s*\(\d+:\d+-\d+:\d+\)/, '');
      const hint = /parse expression|Unexpected character .* before (name|expression)/i.test(reason)
        ? ' (in MDX, { starts a JavaScript expression and < a component: put such commands in a fenced ``` block, or escape them as \\{ and \\<)'
        : '';
      return `${file}${where}: ${reason}${hint}`;
    });
  }
  return [`${file}: ${err instanceof Error ? err.message : String(err)}`];
}

// ---------------------------------------------------------------- all lessons

/**
 * Validate and compile every lesson. Never throws for content problems: they
 * come back in `errors`, one message each. Also checks what only makes sense
 * across lessons (unique `order`).
 */
export async function validateAllLessons(dirs: ContentDirs): Promise<ValidationResult> {
  const { lessonsDir, filesDir } = dirsOf(dirs);
  const [names, labFiles] = await Promise.all([listLessonFiles(lessonsDir), listLabFiles(filesDir)]);
  const results = await Promise.all(names.map((n) => compileLesson(path.join(lessonsDir, n), labFiles)));
  const errors = results.flatMap((r) => r.problems);
  const lessons = results.flatMap((r) => (r.lesson ? [r.lesson] : []));

  const byOrder = new Map<number, CompiledLesson>();
  for (const l of lessons) {
    const other = byOrder.get(l.order);
    if (other) errors.push(`${l.file}: frontmatter order: ${l.order} is already used by ${other.file}`);
    else byOrder.set(l.order, l);
  }
  lessons.sort((a, b) => a.order - b.order || a.slug.localeCompare(b.slug));
  return { lessons, errors };
}

/** Like validateAllLessons, but throws one error listing every problem. */
export async function loadAllLessons(dirs: ContentDirs): Promise<CompiledLesson[]> {
  const { lessons, errors } = await validateAllLessons(dirs);
  if (errors.length) throw new LessonValidationError(errors);
  return lessons;
}

/** The original text of a lab file (what the server places in /lab), or null. */
export async function readLabFile(dirs: ContentDirs, relPath: string): Promise<string | null> {
  const { filesDir } = dirsOf(dirs);
  // turbopackIgnore: the lessons are read at build time; nothing here needs file tracing.
  const abs = path.resolve(/*turbopackIgnore: true*/ filesDir, relPath);
  if (!abs.startsWith(path.resolve(/*turbopackIgnore: true*/ filesDir) + path.sep)) return null;
  try {
    return await fs.readFile(abs, 'utf8');
  } catch {
    return null;
  }
}
