/**
 * A lesson file, read the one way: its name (`NN-slug.mdx`) and its YAML frontmatter between two
 * `---` lines. The site loader (content/load.ts), the check catalog
 * (sandbox-server/src/checks/catalog.ts) and the lesson walk (test/integration/lessons.test.ts) all
 * read lessons through here, so a lesson one of them accepts the others read the same.
 *
 * Pure: the callers read the folder and the file; no Node imports.
 */

/** A lesson's file name, `NN-slug.mdx`: the number orders the path, the slug is the page's address. */
export const LESSON_FILE = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.mdx$/;

export interface LessonFileName {
  /** The file name, e.g. `02-swarm-init.mdx`. */
  name: string;
  /** The two-digit prefix, e.g. 2. */
  number: number;
  /** The page's address, e.g. `swarm-init`. */
  slug: string;
}

/** Any `.mdx` file in the lessons folder is meant as a lesson (the loader reports one that is misnamed). */
export const isLessonSource = (name: string): boolean => name.endsWith('.mdx');

/** The name's parts, or null when it is not `NN-slug.mdx`. */
export function lessonFileName(name: string): LessonFileName | null {
  const m = LESSON_FILE.exec(name);
  return m ? { name, number: Number(m[1]), slug: m[2]! } : null;
}

/** The lesson files among a folder's entry names, sorted by name (so by their number). */
export function lessonFiles(names: readonly string[]): LessonFileName[] {
  return [...names].sort().flatMap((n) => lessonFileName(n) ?? []);
}

export interface SplitLesson {
  /** The YAML between the two `---` lines (each line ending in a newline). */
  yaml: string;
  /** The MDX after the closing `---` line. */
  body: string;
  /** Lines before the body starts (the frontmatter block with its `---` lines). */
  bodyLineOffset: number;
  /** Line of the first YAML line (1-based). */
  yamlFirstLine: number;
}

/** A fence line: `---`, maybe followed by spaces or tabs. */
const isFence = (line: string): boolean => /^---[ \t]*$/.test(line);

/**
 * Split a lesson's source into frontmatter and body, or null when it does not start with a
 * frontmatter block. A leading byte-order mark is ignored, CRLF and CR line ends read as LF, and
 * a `---` line may end in spaces or tabs.
 */
export function splitFrontmatter(source: string): SplitLesson | null {
  const lines = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (!isFence(lines[0]!)) return null;
  const close = lines.findIndex((l, i) => i > 0 && isFence(l));
  if (close < 0) return null;
  return {
    yaml: lines.slice(1, close).map((l) => `${l}\n`).join(''),
    body: lines.slice(close + 1).join('\n'),
    bodyLineOffset: close + 1,
    yamlFirstLine: 2,
  };
}
