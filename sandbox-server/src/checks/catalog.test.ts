/**
 * The check catalog reads the fixture lessons of test/fixtures/ (used by the check tests and the
 * check bench) with the one lesson schema, keeps an exercise's order (`after`), and only the
 * solution steps meant for this host.
 * Run: node --import tsx --test sandbox-server/src/checks/catalog.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../log.ts';
import { LessonCatalog } from './catalog.ts';

const fixtures = (dir: string) => fileURLToPath(new URL(`../../../test/fixtures/${dir}/lessons/`, import.meta.url));
const quiet = createLogger('json', {}, 'silent');

test('the fixture lessons are usable for checks', () => {
  const checks = new LessonCatalog(fixtures('checks'), quiet);
  assert.deepEqual(checks.slugs(), ['live-checks']);
  const live = checks.get('live-checks')!;
  assert.deepEqual(live.exercises.map((e) => [e.id, e.hold]), [['swarm-on', false], ['two-web', true], ['web-back-to-one', false], ['file-edited', false], ['app-answers', false], ['app-network', false]]);
  // An exercise that follows another keeps its order and the words for it.
  assert.deepEqual(live.exercises[2]!.after, { id: 'two-web', why: 'run two web replicas first: this step is about coming back down' });
  assert.equal(live.exercises[0]!.after, undefined);
  assert.deepEqual(live.exercises[0]!.solution, [{ node: 'manager', run: 'docker swarm init' }]);

  const bench = new LessonCatalog(fixtures('bench-checks'), quiet);
  assert.deepEqual(bench.slugs(), ['bench', 'bench-poll']);
  assert.deepEqual(bench.get('bench-poll')!.exercises.map((e) => e.id), ['scaled', 'edited']);
  assert.equal(bench.get('no-such-lesson'), undefined);
});

test('solution steps follow the host: ipvs-only steps are dropped on a host without IPVS', () => {
  const withIpvs = new LessonCatalog(fileURLToPath(new URL('../../../content/lessons/', import.meta.url)), quiet, { ipvs: true });
  const without = new LessonCatalog(fileURLToPath(new URL('../../../content/lessons/', import.meta.url)), quiet, { ipvs: false });
  const steps = (c: LessonCatalog) => c.slugs().flatMap((s) => c.get(s)!.exercises.flatMap((e) => e.solution.map((st) => st.run)));
  assert.notDeepEqual(steps(withIpvs), steps(without), 'the real lessons have host-specific steps');
});
