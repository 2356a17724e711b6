/**
 * Lesson files are read one way: names `NN-slug.mdx`, frontmatter between two `---` lines (a
 * byte-order mark, CRLF and spaces after a `---` make no difference).
 * Run: node --import tsx --test contract/lesson-file.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lessonFileName, lessonFiles, splitFrontmatter } from './lesson-file.ts';

test('lesson files: NN-slug.mdx, sorted, others left out', () => {
  assert.deepEqual(lessonFiles(['10-b.mdx', 'notes.txt', '02-swarm-init.mdx', '3-x.mdx', '04-Bad.mdx']), [
    { name: '02-swarm-init.mdx', number: 2, slug: 'swarm-init' },
    { name: '10-b.mdx', number: 10, slug: 'b' },
  ]);
  assert.equal(lessonFileName('02-a_b.mdx'), null);
});

test('frontmatter: BOM, CRLF and trailing whitespace after --- read like the plain file', () => {
  const plain = '---\ntitle: A\norder: 1\n---\nBody\nline 2\n';
  const odd = '\uFEFF--- \r\ntitle: A\r\norder: 1\r\n---\t \r\nBody\r\nline 2\r\n';
  const expected = { yaml: 'title: A\norder: 1\n', body: 'Body\nline 2\n', bodyLineOffset: 4, yamlFirstLine: 2 };
  assert.deepEqual(splitFrontmatter(plain), expected);
  assert.deepEqual(splitFrontmatter(odd), expected);
  assert.deepEqual(splitFrontmatter('---\n---\n'), { yaml: '', body: '', bodyLineOffset: 2, yamlFirstLine: 2 });
});

test('frontmatter: none without an opening and a closing --- line', () => {
  assert.equal(splitFrontmatter('title: A\n---\n'), null);
  assert.equal(splitFrontmatter('---\ntitle: A\n'), null);
  assert.equal(splitFrontmatter('---\ntitle: A\n----\n'), null);
  assert.equal(splitFrontmatter('---\ntitle: |\n  ---\n'), null, 'an indented --- is YAML, not the fence');
});
