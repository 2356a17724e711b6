/**
 * `npm test`: the same preparation as `npm start`, then every test: types,
 * unit specs, integration tests against the real engine, browser tests against
 * the real stack. Ends with one summary line: "N passed, N failed".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { loadConfig } from '../sandbox-server/src/config.ts';
import { errorMessage } from '../sandbox-server/src/log.ts';
import { prepareHost, repoRoot } from './lib/prepare.ts';
import { step } from './lib/progress.ts';
import { buildWebIfChanged } from './lib/web.ts';
import { E2E_INSTANCE } from '../playwright.config.ts';
import { removeTestLeftovers } from '../test/helpers/server.ts';

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  exitCode: number;
  /** What failed, one line each (node suites; Playwright prints its own list). */
  failures?: string[];
}

/** Run a command with its output streamed and kept, so counts can be read from it. */
function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const relay = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk.toString().replace(/^(?=.)/gm, `[${name}] `));
    };
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A check that passes or fails as a whole (counted as one test). */
async function gate(name: string, npxArgs: string[]): Promise<SuiteResult> {
  const { code } = await step(name, () => run(name, 'npx', npxArgs));
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, exitCode: code };
}

/** Counts from node's test runner (tap or spec reporter). */
function nodeCounts(output: string): { passed: number; failed: number } {
  const last = (re: RegExp) => Number([...output.matchAll(re)].at(-1)?.[1] ?? 0);
  return { passed: last(/^(?:# |ℹ )pass (\d+)/gm), failed: last(/^(?:# |ℹ )fail (\d+)/gm) + last(/^(?:# |ℹ )cancelled (\d+)/gm) };
}

/** Each failed test (TODOs aside) with the first line of its error, read from TAP output. */
function tapFailures(output: string): string[] {
  const lines = output.split('\n');
  return lines.flatMap((line, i) => {
    const name = /^\s*not ok \d+ - (.*)$/.exec(line)?.[1];
    if (!name || /# (TODO|SKIP)\b/.test(name)) return [];
    const at = lines.findIndex((l, j) => j > i && /^\s*error: /.test(l));
    const block = at > i && at < i + 40 ? lines[at]!.trim().slice('error: '.length) : '';
    const error = /^\|-?$/.test(block) ? (lines[at + 1] ?? '').trim() : block;
    if (/^'\d+ subtests? failed'$/.test(error)) return []; // a parent of a failure listed already
    return [`${name}${error ? ` (${error.slice(0, 300)})` : ''}`];
  });
}

async function nodeSuite(name: string, files: string[], extra: string[] = []): Promise<SuiteResult> {
  const { code, output } = await run(name, process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...extra, ...files]);
  const counts = nodeCounts(output);
  return { name, ...counts, failed: counts.failed || (code !== 0 ? 1 : 0), exitCode: code, failures: tapFailures(output) };
}

/** Browser tests (Playwright starts the real stack itself; see playwright.config.ts). */
async function playwrightSuite(): Promise<SuiteResult> {
  const { code, output } = await run('e2e', 'npx', ['playwright', 'test']);
  const count = (word: string) => Number(output.match(new RegExp(`^\\s+(\\d+) ${word}`, 'm'))?.[1] ?? 0);
  const failed = count('failed') + count('flaky') + count('did not run');
  return { name: 'e2e', passed: count('passed'), failed: failed || (code !== 0 ? 1 : 0), exitCode: code };
}

/** Print the summary ("N passed, N failed") and exit with its verdict. */
function finish(results: SuiteResult[], started: number): never {
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log('');
  for (const r of results) {
    for (const f of r.failures ?? []) console.log(`  not ok in ${r.name}: ${f}`);
  }
  for (const r of results) console.log(`  ${r.failed ? 'FAIL' : 'ok  '} ${r.name}: ${r.passed} passed, ${r.failed} failed`);
  console.log(`  total time ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || results.some((r) => r.exitCode !== 0) ? 1 : 0);
}

function findTests(dir: string, suffix = '.test.ts'): string[] {
  if (!fs.existsSync(`${repoRoot}/${dir}`)) return [];
  return (fs.readdirSync(`${repoRoot}/${dir}`, { recursive: true }) as string[])
    .filter((f) => f.endsWith(suffix) && !f.includes('node_modules'))
    .map((f) => `${dir}/${f}`);
}

try {
  const started = Date.now();
  const config = loadConfig();
  await prepareHost(config, { browser: true });
  buildWebIfChanged(repoRoot);
  const swept = await removeTestLeftovers(E2E_INSTANCE);
  if (swept.length) console.log(`[test] removed clusters an interrupted run left behind: ${swept.join(', ')}`);

  const results: SuiteResult[] = [];
  if (process.argv.includes('--lessons')) {
    // `npm run test:lessons`: the lesson walk alone, with every wrong answer of every exercise.
    process.env.SWB_LESSONS_WRONG = 'all';
    results.push(await nodeSuite('lesson walk', ['test/integration/lessons.test.ts']));
    finish(results, started);
  }
  // The web app is type-checked by `next build`; these are the server, scripts and tests.
  results.push(await gate('typecheck server', ['tsc', '-p', 'sandbox-server/tsconfig.json', '--noEmit']));
  results.push(await gate('typecheck e2e', ['tsc', '-p', 'test/e2e/tsconfig.json']));
  results.push(await gate('lint', ['eslint', '.']));

  results.push(await nodeSuite('unit', [...findTests('sandbox-server/src'), ...findTests('contract'), ...findTests('content'), ...findTests('app')]));
  // The lesson walk (four clusters) is the longest suite and mostly waits on swarm convergence: it
  // runs beside the other integration files (one at a time). The browser tests come after both,
  // on a quieter machine (their waits are for a learner's eyes, and two cores are easily swamped).
  const walkFile = 'test/integration/lessons.test.ts';
  process.env.SWB_TEST_SLACK = '2'; // both suites' deadlines: they share the machine (test/helpers/wait.ts)
  const walk = nodeSuite('lesson walk', [walkFile]);
  results.push(await nodeSuite('integration', findTests('test/integration').filter((f) => f !== walkFile), ['--test-concurrency=1']));
  results.push(await walk);
  results.push(await playwrightSuite());

  finish(results, started);
} catch (err) {
  console.error(`\n[test] ${errorMessage(err)}\n`);
  process.exit(1);
}
