/**
 * The lesson loader rejects what a lesson writer can get wrong, naming the
 * file and the reason; and the real lessons in content/lessons pass.
 * Run: node --import tsx --test content/load.test.ts
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LessonCatalog } from '../sandbox-server/src/checks/catalog.ts';
import { createLogger } from '../sandbox-server/src/log.ts';
import { listLessonFiles, validateAllLessons } from './load.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const goodFrontmatter = `---
title: Initialise the swarm
order: 2
summary: Turn the manager into a swarm manager.
minutes: 10
cluster: { workers: 2 }
files: [init.sql]
exercises:
  - id: swarm-active
    title: Turn the manager into a swarm manager
    hints: ["Look at docker swarm --help"]
    solution: [{ node: manager, run: docker swarm init }]
    check: { swarm: { node: manager, state: active, role: manager } }
    wrongAnswers: [{ why: only looked, steps: [{ node: manager, run: docker info }] }, { why: joined nothing, steps: [{ node: manager, run: docker swarm leave --force }] }]
---
`;

/** A content folder with the given lessons and one lab file. */
function fixture(lessons: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'swb-lessons-'));
  temps.push(dir);
  mkdirSync(path.join(dir, 'lessons'));
  mkdirSync(path.join(dir, 'files'));
  writeFileSync(path.join(dir, 'files', 'init.sql'), 'SELECT 1;\n');
  for (const [name, text] of Object.entries(lessons)) writeFileSync(path.join(dir, 'lessons', name), text);
  return dir;
}

async function errorsOf(lessons: Record<string, string>): Promise<string[]> {
  return (await validateAllLessons({ contentDir: fixture(lessons) })).errors;
}

function assertOneError(errors: string[], file: string, ...fragments: (string | RegExp)[]): void {
  assert.equal(errors.length, 1, `expected exactly one error, got:\n${errors.join('\n')}`);
  const [msg] = errors as [string];
  assert.ok(msg.includes(file), `error should name ${file}: ${msg}`);
  for (const f of fragments) {
    assert.ok(typeof f === 'string' ? msg.includes(f) : f.test(msg), `error should mention ${String(f)}: ${msg}`);
  }
}

describe('validateAllLessons', () => {
  it('accepts a good lesson and compiles it', async () => {
    const body = `
Text with a <FileRef path="init.sql" /> link.

<Command node="worker-2">docker node ls</Command>

<Command>
\`\`\`
docker service ls --format '{{.Name}}'
\`\`\`
</Command>

<Note kind="host">No IPVS here.</Note>

<Exercise id="swarm-active" />
`;
    const { lessons, errors } = await validateAllLessons({ contentDir: fixture({ '02-swarm-init.mdx': goodFrontmatter + body }) });
    assert.deepEqual(errors, []);
    assert.equal(lessons.length, 1);
    const [lesson] = lessons as [(typeof lessons)[number]];
    assert.equal(lesson.slug, 'swarm-init');
    assert.deepEqual(lesson.nodes, ['manager', 'worker-1', 'worker-2']);
    assert.deepEqual(lesson.files, ['init.sql']);
    assert.match(lesson.code, /docker service ls --format '\{\{\.Name\}\}'/);
    assert.equal('check' in (lesson.exercises[0] ?? {}), false, 'checks stay on the server');
  });

  it('rejects bad frontmatter with the file, the field and the reason', async () => {
    const bad = goodFrontmatter.replace('minutes: 10', 'minutes: ten').replace('id: swarm-active', 'id: Swarm Active');
    const errors = await errorsOf({ '02-swarm-init.mdx': bad + '\n<Exercise id="swarm-active" />\n' });
    assert.ok(errors.length >= 2, errors.join('\n'));
    assert.ok(errors.some((e) => e.includes('02-swarm-init.mdx:5: frontmatter minutes:')), errors.join('\n'));
    assert.ok(errors.some((e) => /02-swarm-init\.mdx:9: frontmatter exercises\[0\]\.id: .*lowercase/.test(e)), errors.join('\n'));
  });

  it('rejects a misspelt frontmatter key and invalid YAML', async () => {
    const misspelt = await errorsOf({ '01-a.mdx': goodFrontmatter.replace('summary:', 'sumary:') + '<Exercise id="swarm-active" />\n' });
    assert.ok(misspelt.some((e) => e.includes('01-a.mdx') && e.includes('Unrecognized key: "sumary"')), misspelt.join('\n'));
    assert.ok(misspelt.some((e) => e.includes('frontmatter summary: is required')), misspelt.join('\n'));
    assertOneError(await errorsOf({ '01-a.mdx': '---\ntitle: [unclosed\n---\nText\n' }), '01-a.mdx', 'not valid YAML');
    assertOneError(await errorsOf({ '01-a.mdx': 'No frontmatter here.\n' }), '01-a.mdx', 'frontmatter');
  });

  it('rejects an unknown exercise id, naming file, line and id', async () => {
    const errors = await errorsOf({ '02-swarm-init.mdx': goodFrontmatter + '\nIntro.\n\n<Exercise id="swarm-active" />\n\n<Exercise id="no-such-thing" />\n' });
    assertOneError(errors, '02-swarm-init.mdx:21', 'no-such-thing', 'swarm-active');
  });

  it('rejects an exercise that is declared but never placed', async () => {
    assertOneError(await errorsOf({ '02-swarm-init.mdx': goodFrontmatter + '\nNo exercise here.\n' }), '02-swarm-init.mdx', 'never placed', 'swarm-active');
  });

  it('rejects a <Command> on a node outside the lesson cluster', async () => {
    const errors = await errorsOf({ '02-swarm-init.mdx': goodFrontmatter + '\n<Exercise id="swarm-active" />\n\n<Command node="worker-3">docker ps</Command>\n' });
    assertOneError(errors, '02-swarm-init.mdx:19', 'worker-3', 'manager, worker-1, worker-2');
  });

  it('rejects a solution step on a node outside the lesson cluster', async () => {
    const bad = goodFrontmatter.replace('cluster: { workers: 2 }', 'cluster: { workers: 0 }').replace('node: manager', 'node: worker-1');
    assertOneError(await errorsOf({ '02-a.mdx': bad + '<Exercise id="swarm-active" />\n' }), '02-a.mdx', 'exercises[0].solution[0].node', 'worker-1');
  });

  it('rejects unknown components, bad attributes and missing files', async () => {
    const withBody = (body: string) => ({ '02-a.mdx': `${goodFrontmatter}<Exercise id="swarm-active" />\n\n${body}\n` });
    assertOneError(await errorsOf(withBody('<Excercise id="x" />')), '02-a.mdx', 'unknown component <Excercise>');
    assertOneError(await errorsOf(withBody('<Note kind="danger">x</Note>')), '02-a.mdx', '<Note kind>');
    assertOneError(await errorsOf(withBody('<FileRef path="nope.yml" />')), '02-a.mdx', 'nope.yml');
    assertOneError(await errorsOf(withBody('<Command node="manager"></Command>')), '02-a.mdx', 'empty');
    assertOneError(await errorsOf(withBody('Run <Command>docker ps</Command> now.')), '02-a.mdx', 'own line');
    assertOneError(await errorsOf(withBody("import x from './x'")), '02-a.mdx', 'import/export');
    const missingFile = goodFrontmatter.replace('files: [init.sql]', 'files: [init.sql, docker-stack.yml]');
    assertOneError(await errorsOf({ '02-a.mdx': missingFile + '<Exercise id="swarm-active" />\n' }), '02-a.mdx', 'docker-stack.yml');
  });

  it('reports MDX syntax errors with a line number', async () => {
    const errors = await errorsOf({ '02-a.mdx': `${goodFrontmatter}<Exercise id="swarm-active" />\n\n<Note>\nunclosed\n` });
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /02-a\.mdx:\d+/);
  });

  it('rejects badly named files and duplicate order', async () => {
    const lesson = goodFrontmatter + '<Exercise id="swarm-active" />\n';
    assertOneError(await errorsOf({ 'swarm-init.mdx': lesson }), 'swarm-init.mdx', 'NN-slug.mdx');
    const errors = await errorsOf({ '02-a.mdx': lesson, '03-b.mdx': lesson });
    assertOneError(errors, '03-b.mdx', 'order', '02-a.mdx');
  });

  it('rejects an exercise check of an unknown kind or with bad parameters, naming file, line and reason', async () => {
    const lesson = (fm: string) => ({ '02-a.mdx': `${fm}<Exercise id="swarm-active" />\n` });
    const unknown = goodFrontmatter.replace('check: { swarm:', 'check: { swarmm:');
    assertOneError(await errorsOf(lesson(unknown)), '02-a.mdx:13', 'exercises[0].check.swarmm', 'unknown check kind "swarmm"', 'swarm, nodes, service');
    const badParam = goodFrontmatter.replace('role: manager }', 'role: boss }');
    assertOneError(await errorsOf(lesson(badParam)), '02-a.mdx:13', 'exercises[0].check.swarm.role');
    const two = goodFrontmatter.replace('check: { swarm: { node: manager, state: active, role: manager } }', 'check: { swarm: { node: manager }, nodes: { count: 3 } }');
    assertOneError(await errorsOf(lesson(two)), '02-a.mdx:13', 'exactly one kind', 'all: [...]');
    const nested = goodFrontmatter.replace(
      'check: { swarm: { node: manager, state: active, role: manager } }',
      'check: { all: [{ swarm: { node: manager } }, { service: { match: { image: "flask_app:3.0" } } }] }',
    );
    assertOneError(await errorsOf(lesson(nested)), '02-a.mdx:13', 'exercises[0].check.all[1].service.match', '{ name } or { image, port }');
  });

  it('lints exercises: check, hints, solution, two wrong answers, nodes and lab files they name', async () => {
    const lesson = (fm: string) => ({ '02-a.mdx': `${fm}<Exercise id="swarm-active" />\n` });
    const noCheck = goodFrontmatter.replace(/\n {4}check: .*\n/, '\n');
    assertOneError(await errorsOf(lesson(noCheck)), '02-a.mdx:9', 'exercise "swarm-active"', 'has no check');
    const oneWrong = goodFrontmatter.replace(/, \{ why: joined nothing.*\}\] \}\]/, ']');
    assertOneError(await errorsOf(lesson(oneWrong)), '02-a.mdx:14', 'has 1 wrong answer', 'at least 2');
    const noHints = goodFrontmatter.replace('hints: ["Look at docker swarm --help"]', 'hints: []');
    assertOneError(await errorsOf(lesson(noHints)), '02-a.mdx', 'has no hints');
    const farNode = goodFrontmatter.replace('cluster: { workers: 2 }', 'cluster: { workers: 1 }').replace('swarm: { node: manager', 'swarm: { node: worker-2');
    assertOneError(await errorsOf(lesson(farNode)), '02-a.mdx:13', 'check swarm.node "worker-2"', 'manager, worker-1');
    const farNodeByName = goodFrontmatter
      .replace('cluster: { workers: 2 }', 'cluster: { workers: 1 }')
      .replace('check: { swarm: { node: manager, state: active, role: manager } }', 'check: { node: { name: worker-2, availability: drain } }');
    assertOneError(await errorsOf(lesson(farNodeByName)), '02-a.mdx:13', 'check node.name "worker-2"', 'manager, worker-1');
    const missingFile = goodFrontmatter.replace(
      'check: { swarm: { node: manager, state: active, role: manager } }',
      'check: { file: { node: manager, path: /lab/nope.yml, contains: "x" } }',
    );
    assertOneError(await errorsOf(lesson(missingFile)), '02-a.mdx:13', '/lab/nope.yml', 'content/files/nope.yml');
    const missingStackFile = goodFrontmatter.replace(
      'check: { swarm: { node: manager, state: active, role: manager } }',
      'check: { stack: { name: s, services: [app], file: /lab/nope.yml } }',
    );
    assertOneError(await errorsOf(lesson(missingStackFile)), '02-a.mdx:13', 'check stack.file "/lab/nope.yml"', 'content/files/nope.yml');
    const missingInCommand = goodFrontmatter.replace('run: docker swarm init }', 'run: docker stack deploy -c /lab/stack.yml s }');
    assertOneError(await errorsOf(lesson(missingInCommand)), '02-a.mdx:12', 'command uses /lab/stack.yml');
    const knownInCommand = goodFrontmatter.replace('run: docker swarm init }', 'run: "cat /lab/init.sql" }');
    assert.deepEqual(await errorsOf(lesson(knownInCommand)), []);
  });

  it('rejects an exercise order (after) naming no exercise, itself, a cycle or an exercise placed later, with file, line and reason', async () => {
    // Three exercises, placed in the text in the order a, b, c; a's `after` is on line 14 (b's on 20 when a has none).
    const ordered = (afters: Record<string, string>, wrong: Record<string, string> = {}) => {
      const ex = (id: string) => `  - id: ${id}
    title: Do ${id}
    hints: ["h"]
    solution: [{ node: manager, run: docker swarm init }]
    check: { swarm: { node: manager, state: active, role: manager } }
    after: ${afters[id] ?? 'null'}
    wrongAnswers: [{ why: w1, steps: [{ node: manager, run: docker info }]${wrong[id] ?? ''} }, { why: w2, steps: [{ node: manager, run: docker info }] }]
`;
      const fm = goodFrontmatter.replace(/exercises:\n[\s\S]*\n---\n$/, `exercises:\n${ex('a')}${ex('b')}${ex('c')}---\n`).replaceAll('    after: null\n', '');
      return { '02-a.mdx': `${fm}<Exercise id="a" />\n\n<Exercise id="b" />\n\n<Exercise id="c" />\n` };
    };
    assert.deepEqual(await errorsOf(ordered({ b: 'a', c: '{ id: b, why: "do b first" }' })), []);
    assertOneError(await errorsOf(ordered({ b: 'nope' })), '02-a.mdx:20', 'exercises[1].after', 'no exercise "nope"', 'ids: a, b, c');
    assertOneError(await errorsOf(ordered({ b: 'b' })), '02-a.mdx:20', '"b" cannot follow itself');
    const cycle = await errorsOf(ordered({ a: 'c', b: 'a', c: 'b' }));
    assert.equal(cycle.length, 3, cycle.join('\n'));
    assert.ok(cycle[0]!.includes('02-a.mdx:14') && cycle[0]!.includes('"a" → "c" → "b" → "a" is a cycle'), cycle[0]);
    assertOneError(await errorsOf(ordered({ a: 'b' })), '02-a.mdx:14', 'exercise "a": after "b", which is placed later in the text');
    assertOneError(await errorsOf(ordered({}, { a: ', skipsEarlier: true' })), '02-a.mdx', 'skipsEarlier', 'follows no other');
  });

  it('reads a lesson with a byte-order mark, CRLF and spaces after ---, the same as the check catalog', async () => {
    const text = `\uFEFF${goodFrontmatter.replace(/^---\n/, '--- \n').replace(/\n---\n$/, '\n---\t \n')}\nText.\n\n<Exercise id="swarm-active" />\n`.replace(/\n/g, '\r\n');
    const dir = fixture({ '02-swarm-init.mdx': text });
    const { lessons, errors } = await validateAllLessons({ contentDir: dir });
    assert.deepEqual(errors, []);
    const catalog = new LessonCatalog(path.join(dir, 'lessons'), createLogger('json', {}, 'silent'));
    assert.deepEqual(catalog.slugs(), lessons.map((l) => l.slug));
    const checked = catalog.get('swarm-init')!;
    assert.deepEqual(
      checked.exercises.map((e) => ({ id: e.id, title: e.title, check: e.check, solution: e.solution })),
      lessons[0]!.frontmatter.exercises.map((e) => ({ id: e.id, title: e.title, check: e.check, solution: e.solution })),
    );
  });

  it('accepts the real lessons in content/lessons', async (t) => {
    const contentDir = here;
    if ((await listLessonFiles(path.join(contentDir, 'lessons'))).length === 0) {
      t.skip('content/lessons has no .mdx lessons yet: nothing to validate');
      return;
    }
    const { lessons, errors } = await validateAllLessons({ contentDir });
    assert.deepEqual(errors, [], `content/lessons has problems:\n${errors.join('\n')}`);
    assert.ok(lessons.length > 0);
  });
});
