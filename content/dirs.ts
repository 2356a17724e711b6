/**
 * Where lessons and lab files live, stated once for the sandbox server, the
 * web build and the lesson loader. Server/Node only (node:path).
 */
import path from 'node:path';

/** The content folder: `SWB_CONTENT_DIR` when set (fixture lessons), else `<root>/content`. */
export function contentDirOf(setting: string | undefined, root: string): string {
  return setting ? path.resolve(setting) : path.join(root, 'content');
}

/** `<contentDir>/lessons`: the `NN-slug.mdx` files. */
export function lessonsDirOf(contentDir: string): string {
  return path.join(contentDir, 'lessons');
}

/** `<contentDir>/files`: the lab files placed in /lab on every node. */
export function labFilesDirOf(contentDir: string): string {
  return path.join(contentDir, 'files');
}
