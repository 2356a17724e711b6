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
/** Files whose assertions compare latency with an idle baseline they measure themselves: after the other files. */
const MEASURES_LATENCY = ['test/integration/admission.test.ts', 'test/integration/abuse.test.ts'];

/**
 * The integration files two at a time, slowest first: each file mostly waits on its own real
 * clusters and has its own server, instance and networks.
 */
function integrationSuite(): Promise<SuiteResult> {
  const files = findTests('test/integration').filter((f) => f !== WALK_FILE && !MEASURES_LATENCY.includes(f));
  return nodeSuite('integration', slowestFirst(files), { extra: ['--test-concurrency=2'], perFile: true });
}
/** The files that judge latency, one at a time and not beside the other integration files. */
const latencySuite = (): Promise<SuiteResult> => nodeSuite('integration (latency)', MEASURES_LATENCY, { extra: ['--test-concurrency=1'], perFile: true });

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
  // parts (types, lint, unit specs, the web build) run beside them. The browser tests and the files
  // that judge latency (against a baseline of their own, by the median) come after the integration
  // files, beside each other and the rest of the walk: on two cores, the browser tests beside the
  // integration files too made every part slower.
  process.env.SWB_TEST_SLACK = '2'; // every node suite's deadlines: they share the machine (test/helpers/wait.ts)
  // Servers the tests start from this environment (restarts, own-server specs) keep no lab images warm:
  // pulls no test uses (preload.test.ts sets its own).
  process.env.SWB_PRELOAD_IMAGES ??= 'none';
  const unit = unitSuites();
  const web = buildWeb();
  web.catch(() => undefined); // its failure is reported where it is awaited, after the integration files
  const walk = nodeSuite('lesson walk', [WALK_FILE]);
  const integration = await integrationSuite();
  await web;
  const [latency, e2e] = await Promise.all([latencySuite(), playwrightSuite()]);
  finish([...(await unit), integration, latency, await walk, e2e]);
} catch (err) {
  console.error(`\n[test] ${errorMessage(err)}\n`);
  process.exit(1);
}
