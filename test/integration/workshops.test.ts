/**
 * Workshops against the real engine: create, join with a code, capacity,
 * rejoin, instructor-only dashboard and sockets, a passed exercise on the
 * dashboard, a read-only terminal watch, a restart with everything intact,
 * and the end that tears every learner cluster down.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createLogger } from '../../sandbox-server/src/log.ts';
import { runServer } from '../../sandbox-server/src/main.ts';
import { decodeBinary, paths } from '@contract/protocol.ts';
import {
  instructorServerMessage,
  learnerWorkshopServerMessage,
  workshopPaths,
  type CreateWorkshopResponse,
  type Dashboard,
  type InstructorServerMessage,
  type LearnerWorkshopServerMessage,
} from '@contract/workshop.ts';
import { Learner } from '../helpers/learner.ts';
import { leftovers, removeInstance, testConfig } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const LESSON = 'initialise-the-swarm';
const NEXT = 'first-service';
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!;
/** The key of an instructor link: it rides in the #fragment, which browsers never send. */
const keyOf = (w: CreateWorkshopResponse) => new URLSearchParams(w.instructorUrl.slice(w.instructorUrl.indexOf('#') + 1)).get('key')!;
const post = (url: string, body: unknown, cookie = '', headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}), ...headers }, body: JSON.stringify(body) });
/** The operator's instructor key (SWB_ADMIN_TOKEN), as an instructor's create form sends it. */
const ADMIN_TOKEN = `test-instructor-key-${Math.random().toString(36).slice(2)}`;
const create = (base: string, body: unknown) => post(`${base}${workshopPaths.create}`, body, '', { Authorization: `Bearer ${ADMIN_TOKEN}` });

/** An instructor or learner workshop socket that records what it receives. */
function socket<T>(url: string, cookie: string, parse: (v: unknown) => T) {
  const ws = new WebSocket(url, { headers: { Cookie: cookie } });
  const messages: T[] = [];
  let binary = Buffer.alloc(0);
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) binary = Buffer.concat([binary, Buffer.from(decodeBinary(data)!.payload)]);
    else messages.push(parse(JSON.parse(String(data))));
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, messages, opened, output: () => binary.toString('utf8') };
}

describe('workshops', () => {
  const config = testConfig('workshops', { SWB_WORKERS: '0', SWB_ADMIN_TOKEN: ADMIN_TOKEN });
  // Every line the server logs, at every level: secrets and tokens must never be among them.
  const logged: string[] = [];
  const log = createLogger('json', { instance: config.SWB_INSTANCE }, 'info', (line, level) => {
    logged.push(line);
    if (level === 'error') process.stderr.write(line + '\n');
  });
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await removeInstance(config.SWB_INSTANCE);
  });

  test('create, join, capacity, dashboard, watch, restart, end', async () => {
    let server = await runServer(config, log);
    cleanups.push(() => server.close());
    let base = `http://127.0.0.1:${server.port}`;

    // ---- create
    // Without the instructor key: 401, with a wrong one: 403, both in words.
    const anonymous = await post(`${base}${workshopPaths.create}`, { title: 'Mine', lessons: [LESSON], capacity: 2 });
    assert.equal(anonymous.status, 401);
    assert.match(await anonymous.text(), /needs the instructor key/);
    const wrong = await post(`${base}${workshopPaths.create}`, { title: 'Mine', lessons: [LESSON], capacity: 2 }, '', { Authorization: 'Bearer not-the-key-at-all' });
    assert.equal(wrong.status, 403);
    const created = await create(base, { title: 'Swarm 101', lessons: [LESSON, NEXT], capacity: 2 });
    assert.equal(created.status, 201, await created.clone().text());
    const ws = (await created.json()) as CreateWorkshopResponse;
    assert.match(ws.joinCode, /^[A-Z2-9]{6}$/);
    const key = keyOf(ws);
    assert.ok(key.length >= 40, 'the instructor secret is long and random');
    assert.equal((await create(base, { title: 'x', lessons: ['no-such-lesson'], capacity: 1 })).status, 400);

    // ---- pre-warm for the expected head count: the pool grows, joins then take warm clusters
    const early = cookieOf(await post(`${base}${workshopPaths.auth(ws.id)}`, { key }));
    assert.equal((await post(`${base}${workshopPaths.prewarm(ws.id)}`, { expected: 2 }, early)).status, 202);
    assert.equal(server.sandbox.pool.targetSize, 2);
    await waitFor(() => server.sandbox.pool.readyCount === 2, 120_000, 'two warm clusters');

    // ---- join: two places, the third learner is told the workshop is full
    const joinA = await post(`${base}${workshopPaths.join(ws.joinCode)}`, { name: 'Ada' });
    assert.equal(joinA.status, 200);
    assert.deepEqual(await joinA.json(), { lesson: LESSON, name: 'Ada' });
    const ada = cookieOf(joinA);
    const bob = cookieOf(await post(`${base}${workshopPaths.join(ws.joinCode.toLowerCase())}`, { name: '  Bob  ' }));
    assert.ok(ada && bob && ada !== bob);
    assert.equal(server.sandbox.pool.targetSize, 0, 'everyone expected has joined: the pool is back to its everyday size');
    const third = await post(`${base}${workshopPaths.join(ws.joinCode)}`, { name: 'Cy' });
    assert.equal(third.status, 409);
    assert.match(((await third.json()) as { error: string }).error, /full: all 2 places are taken/);
    // Rejoining from the same browser is the same learner (no place taken, no new cookie).
    const info = (await (await fetch(`${base}${workshopPaths.join(ws.joinCode)}`, { headers: { Cookie: ada } })).json()) as { you?: { name: string } };
    assert.equal(info.you?.name, 'Ada');
    const rejoin = await post(`${base}${workshopPaths.join(ws.joinCode)}`, { name: 'Ada again' }, ada);
    assert.equal(rejoin.status, 200);
    assert.equal(rejoin.headers.get('set-cookie'), null);
    assert.equal(((await rejoin.json()) as { name: string }).name, 'Ada');

    // ---- the dashboard is the instructor's alone
    const dash = workshopPaths.dashboard(ws.id);
    assert.equal((await fetch(`${base}${dash}`)).status, 403);
    assert.equal((await fetch(`${base}${dash}`, { headers: { Cookie: ada } })).status, 403, 'a learner cannot open the dashboard');
    assert.equal((await post(`${base}${workshopPaths.auth(ws.id)}`, { key: key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') })).status, 403);
    const auth = await post(`${base}${workshopPaths.auth(ws.id)}`, { key });
    assert.equal(auth.status, 200);
    assert.match(auth.headers.get('set-cookie') ?? '', /HttpOnly/);
    const instructor = cookieOf(auth);
    const getDashboard = async () => (await (await fetch(`${base}${dash}`, { headers: { Cookie: instructor } })).json()) as Dashboard;
    assert.deepEqual((await getDashboard()).learners.map((l) => l.name), ['Ada', 'Bob']);
    const learnerSocketRefused = new WebSocket(`${base.replace('http', 'ws')}${workshopPaths.ws(ws.id)}`, { headers: { Cookie: ada } });
    const refused = await new Promise<number>((resolve) => learnerSocketRefused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(refused, 403, "a learner cannot open the instructor socket (and so no one's terminal)");

    // ---- Ada initialises her swarm: the dashboard shows the pass
    const page = new Learner(base, ada);
    await page.connect();
    await page.waitReady();
    page.send({ type: 'watch', lesson: LESSON });
    const notices = socket<LearnerWorkshopServerMessage>(`${base.replace('http', 'ws')}${workshopPaths.learnerWs}`, ada, (v) => learnerWorkshopServerMessage.parse(v));
    await notices.opened;
    notices.ws.send(JSON.stringify({ type: 'lesson', lesson: LESSON }));
    await page.open('t-manager', 'manager');
    await page.run('t-manager', 'docker swarm init >/dev/null 2>&1; echo done');
    await waitFor(async () => (await getDashboard()).learners[0]!.passed.includes(`${LESSON}/swarm-active`), 30_000, 'pass on the dashboard');
    const d1 = await getDashboard();
    assert.equal(d1.exercises.find((e) => e.exerciseId === 'swarm-active')?.passed, 1);
    assert.equal(d1.learners[0]!.lesson, LESSON);
    assert.equal(d1.learners[0]!.health, 'ready');

    // ---- the instructor watches Ada's terminal live; Ada is told
    const inst = socket<InstructorServerMessage>(`${base.replace('http', 'ws')}${workshopPaths.ws(ws.id)}`, instructor, (v) => instructorServerMessage.parse(v));
    await inst.opened;
    await waitFor(() => inst.messages.some((m) => m.type === 'dashboard'), 10_000, 'dashboard frame');
    inst.ws.send(JSON.stringify({ type: 'watch', learnerId: d1.learners[0]!.id, node: 'manager' }));
    await waitFor(() => inst.messages.some((m) => m.type === 'watching'), 10_000, 'watching');
    await waitFor(() => notices.messages.some((m) => m.type === 'watched' && m.watching), 10_000, 'learner told');
    page.type('t-manager', 'echo watched-$((40+2))\r');
    await waitFor(() => inst.output().includes('watched-42'), 10_000, 'the typing reaches the instructor', inst.output);
    inst.ws.send(JSON.stringify({ type: 'broadcast', text: 'Break in 5 minutes' }));
    await waitFor(() => notices.messages.some((m) => m.type === 'notice' && m.text === 'Break in 5 minutes'), 10_000, 'broadcast');

    // ---- bring everyone to the next lesson: Bob never initialised his swarm, so that solution is applied on his cluster
    inst.ws.send(JSON.stringify({ type: 'bringTo', lesson: NEXT }));
    await waitFor(() => notices.messages.some((m) => m.type === 'goto' && m.lesson === NEXT && !m.catchingUp), 10_000, 'Ada sent on, nothing to apply');
    await waitFor(() => inst.messages.some((m) => m.type === 'notice' && /Applying earlier solutions on 1 cluster/.test(m.text)), 10_000, 'instructor told');
    const bobRow = async () => (await getDashboard()).learners.find((l) => l.name === 'Bob')!;
    let bobCatchUp = '';
    await waitFor(async () => (bobCatchUp = JSON.stringify((await bobRow()).catchUp)).includes('"state":"done"'), 120_000, "Bob's catch-up", () => bobCatchUp);
    const bobNow = await bobRow();
    assert.ok(bobNow.passed.includes(`${LESSON}/swarm-active`), `the applied solution counts as passed once its check holds: ${JSON.stringify(bobNow)}`);
    assert.deepEqual([bobNow.lesson, bobNow.catchUp?.done, bobNow.catchUp?.total], [NEXT, 1, 1]);
    assert.equal((await getDashboard()).learners[0]!.catchUp, undefined, 'Ada had done it all');

    // ---- the room's failing check messages: Ada's page checks the next lesson, where she has no service yet
    page.send({ type: 'watch', lesson: NEXT });
    await waitFor(async () => ((await getDashboard()).exercises.find((e) => e.lesson === NEXT)?.failing.length ?? 0) > 0, 30_000, 'failing messages');
    const d1b = await getDashboard();
    const failing = d1b.exercises.find((e) => e.lesson === NEXT)!.failing;
    assert.equal(failing[0]!.learners, 1);
    assert.match(failing[0]!.message, /service/);
    assert.equal(d1b.learners[0]!.working?.key, `${NEXT}/app-service`);
    assert.ok(d1b.learners[0]!.working?.message.startsWith(failing[0]!.message), 'the room sees the gist, the learner row the whole message');

    // ---- after a reset the new cluster has none of the earlier work: bringing everyone on applies it again
    const adaId = d1b.learners[0]!.id;
    inst.ws.send(JSON.stringify({ type: 'reset', learnerId: adaId }));
    await waitFor(async () => (await getDashboard()).learners[0]!.health !== 'ready', 10_000, 'reset starts');
    await waitFor(async () => (await getDashboard()).learners[0]!.health === 'ready', 60_000, 'a new cluster');
    inst.ws.send(JSON.stringify({ type: 'bringTo', lesson: NEXT }));
    let adaCatchUp = '';
    await waitFor(
      async () => (adaCatchUp = JSON.stringify((await getDashboard()).learners[0]!.catchUp ?? null)).includes('"state":"done"'),
      120_000,
      "Ada's catch-up on her new cluster",
      () => adaCatchUp,
    );
    assert.match(adaCatchUp, /"total":1/, 'only the swarm, which her new cluster lacked');
    assert.equal((await bobRow()).catchUp?.total, 1, "Bob's cluster had it all: his earlier catch-up is what shows");
    inst.ws.close();
    notices.ws.close();
    page.close();

    // ---- restart: learners, progress and clusters come back
    await server.close();
    cleanups.pop();
    server = await runServer(config, log);
    cleanups.push(() => server.close());
    base = `http://127.0.0.1:${server.port}`;
    const d2 = await getDashboard();
    assert.deepEqual(d2.learners.map((l) => l.name), ['Ada', 'Bob']);
    assert.ok(d2.learners[0]!.passed.includes(`${LESSON}/swarm-active`), 'progress survives a restart');
    assert.equal(d2.learners[0]!.health, 'ready', 'the cluster was adopted');

    // ---- workshop learners keep their clusters until the workshop ends, however long they are away
    const stray = server.sandbox.sessions.create().session;
    await server.sandbox.sessions.reap(Date.now() + 90 * 60_000);
    assert.equal(server.sandbox.sessions.get(stray.id), undefined, 'an idle session outside workshops is reaped');
    assert.deepEqual((await getDashboard()).learners.map((l) => l.health), ['ready', 'ready'], 'the workshop pins its learners');

    // ---- a workshop that leaves resets to the instructor refuses a learner's own reset
    const strict = (await (await create(base, { title: 'Strict', lessons: [LESSON], capacity: 1, learnersMayReset: false })).json()) as CreateWorkshopResponse;
    const cy = cookieOf(await post(`${base}${workshopPaths.join(strict.joinCode)}`, { name: 'Cy' }));
    const refusedReset = await post(`${base}${paths.reset}`, {}, cy);
    assert.equal(refusedReset.status, 403);
    assert.match(((await refusedReset.json()) as { error: string }).error, /instructor resets clusters/);
    assert.equal((await post(`${base}${paths.reset}`, {}, bob)).status, 202, 'the first workshop lets learners reset');
    const strictKey = keyOf(strict);
    const strictCookie = cookieOf(await post(`${base}${workshopPaths.auth(strict.id)}`, { key: strictKey }));
    assert.equal((await fetch(`${base}${workshopPaths.dashboard(ws.id)}`, { headers: { Cookie: strictCookie } })).status, 403, "one workshop's key does not open another");
    assert.equal((await post(`${base}${workshopPaths.end(strict.id)}`, {}, strictCookie)).status, 200);

    // ---- end: every learner cluster goes, progress stays exportable
    assert.equal((await post(`${base}${workshopPaths.end(ws.id)}`, {}, ada)).status, 403);
    assert.equal((await post(`${base}${workshopPaths.end(ws.id)}`, {}, instructor)).status, 200);
    assert.deepEqual(await leftovers(config.SWB_INSTANCE), { containers: 0, networks: 0, volumes: 0 });
    const csv = await (await fetch(`${base}${workshopPaths.csv(ws.id)}`, { headers: { Cookie: instructor } })).text();
    assert.match(csv, new RegExp(`^name,joined_at,current_lesson,passed_count,${LESSON}/swarm-active,${NEXT}/app-service\\r\\n`));
    assert.match(csv, new RegExp(`\\r\\nAda,[^,]+,${NEXT},1,1,0\\r\\n`));
    assert.match(csv, new RegExp(`\\r\\nBob,[^,]+,${NEXT},1,1,0\\r\\n`), 'Bob passed by catching up');
    assert.equal((await post(`${base}${workshopPaths.join(ws.joinCode)}`, { name: 'Late' })).status, 404, 'an ended workshop takes no one');

    // ---- nothing secret was ever logged (the log did record the workshop's life)
    const all = logged.join('\n');
    assert.match(all, /workshop created/);
    assert.match(all, /learner joined/);
    for (const [what, secret] of Object.entries({ key, strictKey, ada, bob, cy, instructor, strictCookie })) {
      const value = secret.includes('=') ? secret.slice(secret.indexOf('=') + 1) : secret;
      assert.ok(value.length >= 40 && !all.includes(value), `${what} never appears in the log`);
    }
  });
});

describe('workshops on a full host', () => {
  const config = testConfig('ws-full', { SWB_WORKERS: '0', SWB_MAX_CLUSTERS: '2', SWB_ADMIN_TOKEN: ADMIN_TOKEN });
  after(() => removeInstance(config.SWB_INSTANCE));

  test('joins open 15 min before the start; pre-warm waits for it; past SWB_MAX_CLUSTERS joins and sessions are told the server is full', async () => {
    const server = await runServer(config, createLogger('pretty', {}, 'error'));
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const startsAt = Date.now() + 3600_000;
      const later = (await (await create(base, { title: 'Later', lessons: [LESSON], capacity: 2, expected: 2, startsAt })).json()) as CreateWorkshopResponse;
      const laterKey = cookieOf(await post(`${base}${workshopPaths.auth(later.id)}`, { key: keyOf(later) }));
      const dash = (await (await fetch(`${base}${workshopPaths.dashboard(later.id)}`, { headers: { Cookie: laterKey } })).json()) as Dashboard;
      assert.deepEqual([dash.workshop.expected, dash.workshop.prewarmAt], [2, startsAt - 15 * 60_000], 'warmed 15 minutes before the start');
      assert.equal(server.sandbox.pool.targetSize, 0, 'nothing runs an hour early');
      // Joining an hour early: refused with the time it opens.
      const early = (await (await fetch(`${base}${workshopPaths.join(later.joinCode)}`)).json()) as { open: boolean; reason?: string };
      assert.equal(early.open, false);
      assert.match(early.reason ?? '', /opens for joining at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      assert.equal((await post(`${base}${workshopPaths.join(later.joinCode)}`, { name: 'Eager' })).status, 425);
      // More places than the host serves: created all the same, and the instructor is warned before the class.
      const tooBig = await create(base, { title: 'Big', lessons: [LESSON], capacity: 3, startsAt: Date.now() + 48 * 3600_000 });
      assert.equal(tooBig.status, 201);
      const big = (await tooBig.json()) as CreateWorkshopResponse;
      assert.match(big.warning ?? '', /This workshop has 3 places, but this host serves 2 learners at once \(bound by SWB_MAX_CLUSTERS=2, set by the server's operator\)\. Learners past 2 will be told the server is full/);
      const bigKey = cookieOf(await post(`${base}${workshopPaths.auth(big.id)}`, { key: keyOf(big) }));
      const bigDash = (await (await fetch(`${base}${workshopPaths.dashboard(big.id)}`, { headers: { Cookie: bigKey } })).json()) as Dashboard;
      assert.deepEqual(bigDash.host, { learners: 2, why: "SWB_MAX_CLUSTERS=2, set by the server's operator", warning: big.warning }, 'the dashboard says it too');
      assert.equal(later.warning, undefined, 'a workshop the host can seat gets no warning');

      // A visitor holds one of the two clusters.
      const visitor = cookieOf(await post(`${base}${paths.session}`, {}));
      assert.equal((await post(`${base}${paths.claim}`, {}, visitor)).status, 202);
      const ws = (await (await create(base, { title: 'Now', lessons: [LESSON], capacity: 2 })).json()) as CreateWorkshopResponse;
      // "Later" (in an hour, 2 places) overlaps this one: the host's 2 are promised already ("Big", two days on, does not count).
      assert.match(ws.warning ?? '', /another workshop at the same time \("Later"\) promised 2 of them, so 0 are left\. Every learner will be told the server is full/);
      const instructor = cookieOf(await post(`${base}${workshopPaths.auth(ws.id)}`, { key: keyOf(ws) }));

      // Pre-warm now: two asked for, but the host has room for one more cluster.
      assert.equal((await post(`${base}${workshopPaths.prewarm(ws.id)}`, { expected: 2 }, instructor)).status, 202);
      assert.equal(server.sandbox.pool.targetSize, 2);
      await waitFor(() => server.sandbox.pool.readyCount === 1, 120_000, 'one warm cluster');
      assert.equal(server.sandbox.pool.running, 1, 'the pool stops at the host limit');

      const ada = await post(`${base}${workshopPaths.join(ws.joinCode)}`, { name: 'Ada' });
      assert.equal(ada.status, 200, 'the warm cluster goes to the first learner');
      const info = (await (await fetch(`${base}${workshopPaths.join(ws.joinCode)}`)).json()) as { open: boolean; reason?: string };
      assert.equal(info.open, false);
      assert.match(info.reason ?? '', /places left, but the server runs as many clusters as it may/);
      const bob = await post(`${base}${workshopPaths.join(ws.joinCode)}`, { name: 'Bob' });
      assert.equal(bob.status, 409);
      assert.equal(server.sandbox.pool.running, 0, 'no cluster started past the limit');

      // Outside workshops: a new session's cluster fails with the same reason, in words.
      const plain = cookieOf(await post(`${base}${paths.session}`, {}));
      assert.equal((await post(`${base}${paths.claim}`, {}, plain)).status, 202);
      let status = '';
      await waitFor(async () => {
        const { cluster } = (await (await post(`${base}${paths.session}`, {}, plain)).json()) as { cluster: { status: string; progress?: string } };
        status = `${cluster.status}: ${cluster.progress ?? ''}`;
        return cluster.status === 'failed';
      }, 10_000, 'the session is told', () => status);
      assert.match(status, /running as many clusters as it may \(SWB_MAX_CLUSTERS\)/);
    } finally {
      await server.close();
    }
  });
});
