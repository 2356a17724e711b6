/**
 * `npm test`: the same preparation as `npm start`, then every test: types,
 * unit specs, integration tests against the real engine, browser tests against
 * the real stack. Ends with each part's wall time and one summary line:
 * "N passed, N failed".
 */
import { errorMessage } from '../sandbox-server/src/log.ts';
import { findTests, finish, nodeSuite, playwrightSuite, prepareForTests, unitSuites, type SuiteResult } from './lib/suites.ts';
import { E2E_INSTANCE } from '../playwright.config.ts';
import { removeTestLeftovers } from '../test/helpers/server.ts';

try {
  await prepareForTests();
  const swept = await removeTestLeftovers(E2E_INSTANCE);
  if (swept.length) console.log(`[test] removed clusters an interrupted run left behind: ${swept.join(', ')}`);

  const results: SuiteResult[] = [];
  if (process.argv.includes('--lessons')) {
    // `npm run test:lessons`: the lesson walk alone, with every wrong answer of every exercise.
    process.env.SWB_LESSONS_WRONG = 'all';
    results.push(await nodeSuite('lesson walk', ['test/integration/lessons.test.ts']));
    finish(results);
  }
  results.push(...(await unitSuites()));
  // The lesson walk (four clusters) is the longest suite and mostly waits on swarm convergence: it
  // runs beside the other integration files (one at a time). The browser tests come after both,
  // on a quieter machine (their waits are for a learner's eyes, and two cores are easily swamped).
  const walkFile = 'test/integration/lessons.test.ts';
  process.env.SWB_TEST_SLACK = '2'; // both suites' deadlines: they share the machine (test/helpers/wait.ts)
  const walk = nodeSuite('lesson walk', [walkFile]);
  const others = findTests('test/integration').filter((f) => f !== walkFile);
  results.push(await nodeSuite('integration', others, { extra: ['--test-concurrency=1'], perFile: true }));
  results.push(await walk);
  results.push(await playwrightSuite());

  finish(results);
} catch (err) {
  console.error(`\n[test] ${errorMessage(err)}\n`);
  process.exit(1);
}
