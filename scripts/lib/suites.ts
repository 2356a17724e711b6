/**
 * The suites `npm test` and `npm run test:unit` run, how their counts and failures are read, the
 * wall time of each part, and the closing summary ("N passed, N failed").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../sandbox-server/src/config.ts';
import { prepareHost, repoRoot } from './prepare.ts';
import { buildWebIfChanged, cacheDir } from './web.ts';

export interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  exitCode: number;
  /** What failed, one line each (node suites; Playwright prints its own list). */
  failures?: string[];
}

/** A part of the run, its wall time and how busy the machine's cores were meanwhile; `parts` are its files, when known. */
interface Timing {
  name: string;
  start: number;
  seconds: number;
  cpuBusy: number | null;
  parts?: { name: string; seconds: number }[];
}
const timings: Timing[] = [];
const runStarted = Date.now();

/** Busy and total jiffies of all cores since boot (/proc/stat), or null off Linux. */
function cpuTimes(): { busy: number; total: number } | null {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const n = fields.map(Number);
    const total = n.reduce((a, b) => a + b, 0);
    return { busy: total - (n[3] ?? 0) - (n[4] ?? 0), total }; // less idle and iowait
  } catch {
    return null;
  }
}
const busyShare = (from: ReturnType<typeof cpuTimes>, to: ReturnType<typeof cpuTimes>) =>
  from && to && to.total > from.total ? (to.busy - from.busy) / (to.total - from.total) : null;
const runCpu = cpuTimes();
const busy = (share: number | null) => (share === null ? '     ' : `${(share * 100).toFixed(0).padStart(3)} %`);

/** Run fn and keep its wall time and the cores' busy share for the summary. */
export async function timed<T>(name: string, fn: () => T | Promise<T>, parts?: () => Timing['parts']): Promise<T> {
  const start = Date.now();
  const cpu = cpuTimes();
  const result = await fn();
  timings.push({ name, start, seconds: (Date.now() - start) / 1000, cpuBusy: busyShare(cpu, cpuTimes()), parts: parts?.() });
  return result;
}

/** The same preparation as `npm start`, and Chromium. */
export const prepareTestHost = async (): Promise<void> => {
  await timed('preparation', () => prepareHost(loadConfig(), { browser: true }));
};
/** The web app the browser tests load (a child process: other suites may run meanwhile). */
export const buildWeb = (): Promise<void> => timed('web build (when its inputs changed)', () => buildWebIfChanged(repoRoot));

/** What the tests need on this host (`npm run setup` alone): the same preparation as `npm start`, Chromium, the web build. */
export async function prepareForTests(): Promise<void> {
  await prepareTestHost();
  await buildWeb();
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
async function gate(name: string, cmd: string): Promise<SuiteResult> {
  const { code } = await timed(name, () => run(name, 'bash', ['-c', cmd]));
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, exitCode: code };
}

/**
 * Types and lint, at once (each is one process; no engine needed). The web app's route types come
 * from `next typegen` (a second, no build); `next build` checks the same tsconfig again.
 */
export function checks(): Promise<SuiteResult[]> {
  return Promise.all([
    gate('typecheck web', 'npx next typegen >/dev/null && npx tsc -p tsconfig.json --noEmit'),
    gate('typecheck server', 'npx tsc -p sandbox-server/tsconfig.json --noEmit'),
    gate('typecheck e2e', 'npx tsc -p test/e2e/tsconfig.json'),
    gate('lint', 'npx eslint .'),
  ]);
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

const tmpFile = (name: string) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'swb-test-')), name);
const readJson = (file: string) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8') || '{}') : {});

/** Each test file's time in the last run on this machine, kept so the next run can start the slowest first. */
const lastTimesFile = () => path.join(cacheDir(), 'test-file-seconds.json');
const lastTimes = (): Record<string, number> => {
  try {
    return readJson(lastTimesFile());
  } catch {
    return {}; // a torn file: this run goes by name
  }
};

/**
 * Files in the order that ends a concurrent run soonest: the slowest (as last measured here) first,
 * so a long file does not start last beside an idle lane. Files never timed here go first, by name.
 */
export const slowestFirst = (files: string[]): string[] => {
  const seconds = lastTimes();
  return [...files].sort((a, b) => (seconds[b] ?? Infinity) - (seconds[a] ?? Infinity) || a.localeCompare(b));
};

/** node's test runner over these files; with perFile, each file's time (scripts/lib/file-times.mjs) goes in the summary. */
export async function nodeSuite(name: string, files: string[], opts: { extra?: string[]; perFile?: boolean } = {}): Promise<SuiteResult> {
  const times = tmpFile('file-times.json');
  const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout'];
  if (opts.perFile) reporters.push(`--test-reporter=${repoRoot}/scripts/lib/file-times.mjs`, `--test-reporter-destination=${times}`);
  const fileTimes = () => {
    const measured = Object.entries(readJson(times) as Record<string, number>).map(([f, ms]) => ({ name: path.relative(repoRoot, f), seconds: ms / 1000 }));
    keepTimes(measured);
    return measured;
  };
  const { code, output } = await timed(name, () => run(name, process.execPath, ['--import', 'tsx', '--test', ...reporters, ...(opts.extra ?? []), ...files]), opts.perFile ? fileTimes : undefined);
  const counts = nodeCounts(output);
  return { name, ...counts, failed: counts.failed || (code !== 0 ? 1 : 0), exitCode: code, failures: tapFailures(output) };
}

function keepTimes(measured: { name: string; seconds: number }[]): void {
  try {
    fs.mkdirSync(cacheDir(), { recursive: true });
    fs.writeFileSync(lastTimesFile(), JSON.stringify({ ...lastTimes(), ...Object.fromEntries(measured.map((m) => [m.name, Math.round(m.seconds)])) }));
  } catch {
    // only an ordering hint: a read-only cache costs the next run its order, nothing else
  }
}

interface PwSuite {
  file: string;
  specs: { tests: { results: { duration: number }[] }[] }[];
  suites?: PwSuite[];
}
/** Milliseconds each spec file's tests took together (from Playwright's JSON report). */
function specTimes(report: { suites?: PwSuite[] }): { name: string; seconds: number }[] {
  const ms = (s: PwSuite): number =>
    s.specs.flatMap((spec) => spec.tests.flatMap((t) => t.results)).reduce((n, r) => n + r.duration, 0) + (s.suites ?? []).reduce((n, c) => n + ms(c), 0);
  return (report.suites ?? []).map((s) => ({ name: `test/e2e/${s.file}`, seconds: ms(s) / 1000 }));
}

/** Browser tests (Playwright starts the real stack itself; see playwright.config.ts). */
export async function playwrightSuite(): Promise<SuiteResult> {
  const report = tmpFile('e2e.json');
  const { code, output } = await timed(
    'e2e',
    () => run('e2e', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: report }),
    () => specTimes(readJson(report)),
  );
  const count = (word: string) => Number(output.match(new RegExp(`^\\s+(\\d+) ${word}`, 'm'))?.[1] ?? 0);
  const failed = count('failed') + count('flaky') + count('did not run');
  return { name: 'e2e', passed: count('passed'), failed: failed || (code !== 0 ? 1 : 0), exitCode: code };
}

/** Wall time of each part (when it started, how long it took) and of each file where known: the critical path. */
function printTimings(): void {
  const s = (n: number) => `${n.toFixed(0).padStart(5)} s`;
  console.log('  wall time (from the start, took, how busy the cores were meanwhile):');
  for (const t of timings.sort((a, b) => a.start - b.start)) {
    console.log(`    +${s((t.start - runStarted) / 1000)} ${s(t.seconds)} ${busy(t.cpuBusy)}  ${t.name}`);
    for (const p of t.parts ?? []) console.log(`              ${s(p.seconds)}    ${p.name}`);
  }
  if (timings.some((t) => t.parts?.length)) console.log('    (a file\'s time is its tests\' time; e2e spec files share 2 workers)');
}

/** Print the summary ("N passed, N failed") and exit with its verdict. */
export function finish(results: SuiteResult[]): never {
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log('');
  printTimings();
  for (const r of results) {
    for (const f of r.failures ?? []) console.log(`  not ok in ${r.name}: ${f}`);
  }
  for (const r of results) console.log(`  ${r.failed ? 'FAIL' : 'ok  '} ${r.name}: ${r.passed} passed, ${r.failed} failed`);
  console.log(`  total time ${((Date.now() - runStarted) / 1000).toFixed(0)} s, cores busy ${busy(busyShare(runCpu, cpuTimes())).trim()}\n`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || results.some((r) => r.exitCode !== 0) ? 1 : 0);
}

export function findTests(dir: string, suffix = '.test.ts'): string[] {
  if (!fs.existsSync(`${repoRoot}/${dir}`)) return [];
  return (fs.readdirSync(`${repoRoot}/${dir}`, { recursive: true }) as string[])
    .filter((f) => f.endsWith(suffix) && !f.includes('node_modules'))
    .map((f) => `${dir}/${f}`);
}

/** The unit specs: beside the code, no Docker Engine needed (checked with the engine's socket and CLI hidden). */
export const unitFiles = () => [...findTests('sandbox-server/src'), ...findTests('contract'), ...findTests('content'), ...findTests('app')];

/** Types, lint and the unit specs: `npm run test:unit`, and the first part of `npm test`. */
export async function unitSuites(): Promise<SuiteResult[]> {
  const results = await checks();
  // A spec that hangs fails after two minutes, and a file whose tests are done ends even if something it
  // left open (a timer, a socket) would keep it alive: neither may hold npm test until CI's bound.
  results.push(await nodeSuite('unit', unitFiles(), { extra: ['--test-timeout=120000', '--test-force-exit'] }));
  return results;
}
