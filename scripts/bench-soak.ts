/**
 * Soak: many learners typing at once for minutes, every byte checked end to end. Each learner's
 * shell runs `dd bs=1 count=N` on a raw, no-echo TTY, so what comes back is exactly what was typed,
 * once, each byte as soon as it is read (`head -c` would hold its output in stdio's buffer):
 * a SHA-256 of both sides proves 0 lost and 0 duplicated bytes. Keystroke echo (typed -> back in
 * the "browser") is measured for every byte, beside an idle baseline: one learner typing alone.
 *
 * Flags of `tsx scripts/bench.ts` (or the same in the environment for `npm run bench`, whose extra
 * arguments npm hands to the last script): --soak-learners=N / SWB_BENCH_SOAK_LEARNERS (default
 * 30), --soak-s=S / SWB_BENCH_SOAK_S (default 300: five minutes of typing), --soak-only /
 * SWB_BENCH_SOAK_ONLY=1.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import crypto from 'node:crypto';
import { Learner, type TerminalOutput } from '../test/helpers/learner.ts';
import { removeInstance, startTestServer } from '../test/helpers/server.ts';

const KEY_INTERVAL_MS = 150; // ~7 keys a second: a fast typist
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface SoakOptions {
  learners: number;
  seconds: number;
}

export function soakOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): SoakOptions & { only: boolean } {
  const flag = (name: string, envName: string, def: number) => {
    const v = argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? env[envName];
    const n = Number(v);
    return v && Number.isFinite(n) ? Math.max(1, Math.round(n)) : def;
  };
  return {
    learners: flag('soak-learners', 'SWB_BENCH_SOAK_LEARNERS', 30),
    seconds: flag('soak-s', 'SWB_BENCH_SOAK_S', 300),
    only: argv.includes('--soak-only') || env.SWB_BENCH_SOAK_ONLY === '1',
  };
}

interface Typist {
  learner: Learner;
  term: TerminalOutput;
  /** Offset in the terminal output where the typed bytes start coming back. */
  start: number;
  typed: Buffer[];
  sentAt: number[];
  latencies: number[];
  seen: number;
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);

async function typist(url: string, total: number): Promise<Typist> {
  const learner = await Learner.join(url);
  await learner.waitReady(600_000);
  const term = await learner.open('t-manager', 'manager');
  learner.type('t-manager', `stty raw -echo; echo "SOAK""-READY"; dd bs=1 count=${total} 2>/dev/null; stty sane; echo; echo "SOAK""-DONE"\r`);
  await learner.waitOutput('t-manager', /SOAK-READY\r?\n/, 60_000);
  const text = term.bytes.toString('latin1');
  const start = text.indexOf('\n', text.lastIndexOf('SOAK-READY')) + 1;
  const t: Typist = { learner, term, start, typed: [], sentAt: [], latencies: [], seen: 0 };
  learner.onOutput = () => {
    const back = term.length - start;
    const now = performance.now();
    while (t.seen < back && t.seen < t.sentAt.length) t.latencies.push(now - t.sentAt[t.seen++]!);
    // Acknowledge as a browser would.
    learner.send({ type: 'ack', terminalId: 't-manager', offset: term.from + term.length });
  };
  return t;
}

/** Type `keys` keys into every typist, one every KEY_INTERVAL_MS (staggered), then check every byte. */
async function typeAll(typists: Typist[], keys: number): Promise<{ lost: number; duplicated: number; mismatched: number; latencies: number[] }> {
  await Promise.all(
    typists.map(async (t, i) => {
      await sleep((i * KEY_INTERVAL_MS) / typists.length);
      for (let k = 0; k < keys; k++) {
        const key = Buffer.from(ALPHABET[crypto.randomInt(ALPHABET.length)]!);
        t.typed.push(key);
        t.sentAt.push(performance.now());
        t.learner.type('t-manager', key.toString());
        await sleep(KEY_INTERVAL_MS);
      }
    }),
  );
  let lost = 0;
  let duplicated = 0;
  let mismatched = 0;
  for (const t of typists) {
    await t.learner.waitOutput('t-manager', /SOAK-DONE/, 60_000).catch(() => undefined);
    const text = t.term.bytes.toString('latin1');
    const end = text.indexOf('SOAK-DONE');
    // `stty sane; echo` puts a line break after the typed bytes.
    const back = Buffer.from(text.slice(t.start, end).replace(/\r?\n$/, ''), 'latin1');
    const sent = Buffer.concat(t.typed);
    lost += Math.max(0, sent.length - back.length);
    duplicated += Math.max(0, back.length - sent.length);
    const hash = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    if (hash(back) !== hash(sent)) mismatched++;
  }
  return { lost, duplicated, mismatched, latencies: typists.flatMap((t) => t.latencies) };
}

export async function benchSoak(opts: SoakOptions): Promise<void> {
  const keys = Math.max(1, Math.round((opts.seconds * 1000) / KEY_INTERVAL_MS));
  console.log(`\nSoak: ${opts.learners} learners typing for ${opts.seconds} s (${keys} keys each, every byte checked)`);
  const server = await startTestServer('soak', { SWB_WORKERS: '0', SWB_MAX_CLUSTERS: String(opts.learners + 2) });
  try {
    // Idle baseline: one learner typing alone for a while.
    const alone = await typist(server.url, Math.min(keys, 100));
    const idle = await typeAll([alone], Math.min(keys, 100));
    alone.learner.close();

    const t0 = Date.now();
    const typists: Typist[] = [];
    // Clusters start a few at a time (two cores): the soak begins once everyone has a prompt.
    for (let i = 0; i < opts.learners; i += 4) {
      typists.push(...(await Promise.all(Array.from({ length: Math.min(4, opts.learners - i) }, () => typist(server.url, keys)))));
    }
    console.log(`  ${opts.learners} learners ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const rssBefore = process.memoryUsage().rss;
    const soak = await typeAll(typists, keys);
    const rssAfter = process.memoryUsage().rss;
    const bytes = typists.reduce((n, t) => n + t.typed.length, 0);
    console.log(`  bytes typed ${bytes}: lost ${soak.lost}, duplicated ${soak.duplicated}, learners with a checksum mismatch ${soak.mismatched}`);
    console.log(
      `  echo p50 ${pct(soak.latencies, 50).toFixed(1)} ms, p95 ${pct(soak.latencies, 95).toFixed(1)} ms, p99 ${pct(soak.latencies, 99).toFixed(1)} ms` +
        `   (idle baseline, one learner: p50 ${pct(idle.latencies, 50).toFixed(1)} ms, p95 ${pct(idle.latencies, 95).toFixed(1)} ms)`,
    );
    console.log(`  server RSS ${(rssBefore / 1e6).toFixed(0)} -> ${(rssAfter / 1e6).toFixed(0)} MB over the soak`);
    for (const t of typists) t.learner.close();
  } finally {
    await server.close();
    await removeInstance(server.config.SWB_INSTANCE);
  }
}
