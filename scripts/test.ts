/**
 * `npm test`: the same preparation as `npm start`, then every test: types,
 * unit specs, integration tests against the real engine, browser tests against
 * the real stack, side by side. Ends with each part's wall time and one summary
 * line: "N passed, N failed".
 */
import { errorMessage } from '../sandbox-server/src/log.ts';
import { buildWeb, findTests, finish, nodeSuite, playwrightSuite, prepareTestHost, slowestFirst, unitSuites, type SuiteResult } from './lib/suites.ts';
import { E2E_INSTANCE } from '../playwright.config.ts';
import { removeTestLeftovers } from '../test/helpers/server.ts';

const WALK_FILE = 'test/integration/lessons.test.ts';
/**
 * Files that judge latency against a baseline of their own: `admission` compares its server's event-loop
 * p99 with the machine at rest, which a browser test's burst beside it upsets, so it runs after the
 * other files and before the browser tests (the walk beside it); `abuse` judges a median and runs
 * beside the browser tests.
 */
const ALONE = 'test/integration/admission.test.ts';
const BESIDE_BROWSERS = 'test/integration/abuse.test.ts';

/**
 * The integration files two at a time, slowest first: each file mostly waits on its own real
 * clusters and has its own server, instance and networks.
 */
function integrationSuite(): Promise<SuiteResult> {
  const files = findTests('test/integration').filter((f) => ![WALK_FILE, ALONE, BESIDE_BROWSERS].includes(f));
  return nodeSuite('integration', slowestFirst(files), { extra: ['--test-concurrency=2'], perFile: true });
}
const latencySuite = (name: string, file: string): Promise<SuiteResult> => nodeSuite(name, [file], { perFile: true });

try {
  await prepareTestHost();
  const swept = await removeTestLeftovers(E2E_INSTANCE);
  if (swept.length) console.log(`[test] removed clusters an interrupted run left behind: ${swept.join(', ')}`);

  if (process.argv.includes('--lessons')) {
    // `npm run test:lessons`: the lesson walk alone, with every wrong answer of every exercise.
    process.env.SWB_LESSONS_WRONG = 'all';
    finish([await nodeSuite('lesson walk', [WALK_FILE])]);
  }
  // The lesson walk and the integration files mostly wait on real clusters converging: the CPU-bound
  // parts (types, lint, unit specs, the web build) run beside them. The browser tests come after the
  // integration files, beside `abuse` and the rest of the walk: on two cores, the browser tests beside
  // the integration files too made every part slower.
  process.env.SWB_TEST_SLACK = '2'; // every node suite's deadlines: they share the machine (test/helpers/wait.ts)
  // Servers the tests start from this environment (restarts, own-server specs) keep no lab images warm:
  // pulls no test uses (preload.test.ts sets its own).
  process.env.SWB_PRELOAD_IMAGES ??= 'none';
  const unit = unitSuites();
  const web = buildWeb();
  web.catch(() => undefined); // its failure is reported where it is awaited, after the integration files
  const walk = nodeSuite('lesson walk', [WALK_FILE]);
  const integration = await integrationSuite();
  const admission = await latencySuite('integration (admission)', ALONE);
  await web;
  const [abuse, e2e] = await Promise.all([latencySuite('integration (abuse)', BESIDE_BROWSERS), playwrightSuite()]);
  finish([...(await unit), integration, admission, abuse, await walk, e2e]);
} catch (err) {
  console.error(`\n[test] ${errorMessage(err)}\n`);
  process.exit(1);
}
