/**
 * Bad input gets a clear error and hurts nobody: malformed and oversized
 * frames, unknown sessions, nodes and channels, path tricks, huge pastes, a
 * learner who deletes their files or kills dockerd inside a node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { closeCodes, encodeBinary, paths } from '@contract/protocol.ts';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

describe('bad input', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let learner: Learner;
  let bystander: Learner;

  before(async () => {
    server = await startTestServer('badinput', { SWB_WORKERS: '1' });
    [learner, bystander] = await Promise.all([Learner.join(server.url), Learner.join(server.url)]);
    await Promise.all([learner.waitReady(), bystander.waitReady()]);
    await Promise.all([learner.open('t-manager', 'manager'), bystander.open('t-manager', 'manager')]);
  });
  after(async () => {
    learner?.close();
    bystander?.close();
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  const lastError = async (l: Learner, before: number) => {
    await waitFor(() => l.errors().length > before, 5_000, 'an error message');
    return l.errors().at(-1)!;
  };

  test('malformed and invalid control frames get a specific error; the socket keeps working', async () => {
    const cases: [string, string, RegExp][] = [
      ['{not json', 'bad_frame', /not valid JSON/],
      [JSON.stringify({ type: 'teleport' }), 'bad_frame', /invalid message/],
      [JSON.stringify({ type: 'open', terminalId: 'x', node: '../../etc', cols: 80, rows: 24 }), 'bad_frame', /node/],
      [JSON.stringify({ type: 'resize', terminalId: 'nope', cols: 80, rows: 24 }), 'unknown_terminal', /not open/],
      ['x'.repeat(100 * 1024), 'frame_too_large', /limited/],
    ];
    for (const [frame, code, message] of cases) {
      const n = learner.errors().length;
      learner.sendRaw(frame);
      const err = await lastError(learner, n);
      assert.equal(err.code, code, frame.slice(0, 40));
      assert.match(err.message, message);
    }
    const n = learner.errors().length;
    learner.sendRaw(Buffer.from(encodeBinary(200, Buffer.from('ls\r'))), true);
    assert.equal((await lastError(learner, n)).code, 'unknown_terminal');
    const m = learner.errors().length;
    learner.sendRaw(Buffer.from(encodeBinary(learner.terminals.get('t-manager')!.channel, Buffer.alloc(70 * 1024, 97))), true);
    assert.equal((await lastError(learner, m)).code, 'frame_too_large');
    learner.send({ type: 'ping', id: 7 });
    await waitFor(() => learner.messages.some((x) => x.type === 'pong' && x.id === 7), 5_000, 'pong');
    assert.equal((await learner.run('t-manager', 'echo still-$((1+1))')).trim(), 'still-2');
  });

  test('an unknown node is named in the error', async () => {
    await assert.rejects(learner.open('t-x', 'worker-7'), /unknown_node: there is no node "worker-7".*manager, worker-1/);
  });

  test('a frame above the hard limit closes only that socket; everyone else keeps going', async () => {
    const victim = await learner.anotherPage();
    victim.sendRaw(Buffer.alloc(2 * 1024 * 1024), true);
    await waitFor(() => victim.closeCode !== undefined, 10_000, 'oversized socket closed');
    assert.equal(victim.closeCode, 1009);
    assert.equal((await bystander.run('t-manager', 'echo fine')).trim(), 'fine');
    assert.equal((await learner.run('t-manager', 'echo fine')).trim(), 'fine');
  });

  test('unknown sessions and other origins are refused with a reason', async () => {
    const stranger = new Learner(server.url, 'swb_session=forged-token');
    await stranger.connect();
    await waitFor(() => stranger.closeCode !== undefined, 5_000, 'close');
    assert.equal(stranger.closeCode, closeCodes.noSession);
    const res = await fetch(`${server.url}${paths.files}`, { headers: { Cookie: 'swb_session=forged' } });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: string }).error, /reload the page/);
    const crossSite = new WebSocket(`${server.url.replace('http', 'ws')}${paths.ws}`, { headers: { Cookie: learner.cookie, Origin: 'http://evil.example' } });
    const status = await new Promise<number>((resolve) => crossSite.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 403);
  });

  test('file paths cannot leave the lab folder; big files are refused; deleted files can be saved again', async () => {
    for (const bad of ['..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', 'a%2F..%2F..%2Fetc']) {
      const res = await learner.fetch(`${paths.files}/${bad}`);
      assert.equal(res.status, 400, bad);
    }
    const big = await learner.fetch(`${paths.files}/big.txt`, { method: 'PUT', body: 'x'.repeat(600 * 1024) });
    assert.equal(big.status, 413);
    await learner.run('t-manager', 'rm -rf /lab');
    const missing = await learner.fetch(`${paths.files}/init.sql`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /does not exist/);
    const saved = await learner.fetch(`${paths.files}/init.sql`, { method: 'PUT', body: 'SELECT 42;\n' });
    assert.equal(saved.status, 200);
    assert.equal((await learner.run('t-manager', 'cat /lab/init.sql')).trim(), 'SELECT 42;');
    await learner.open('t-worker-1', 'worker-1');
    assert.equal((await learner.run('t-worker-1', 'cat /lab/init.sql')).trim(), 'SELECT 42;', 'saved on every node');
  });

  test('a huge paste, split into frames, arrives whole', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(50)}`);
    await learner.run('t-manager', 'stty -echo');
    learner.type('t-manager', 'cat > /tmp/paste\r');
    const paste = Buffer.from(lines.join('\n') + '\n');
    const channel = learner.terminals.get('t-manager')!.channel;
    for (let i = 0; i < paste.length; i += 32 * 1024) learner.sendRaw(Buffer.from(encodeBinary(channel, paste.subarray(i, i + 32 * 1024))), true);
    learner.type('t-manager', '\x04');
    await waitFor(async () => (await learner.run('t-manager', 'wc -l < /tmp/paste')).trim() === '3000', 30_000, '3000 lines pasted');
    await learner.run('t-manager', 'stty echo');
  });

  test('a flood of output does not run away: the shell is paused until the client acknowledges', async () => {
    const term = learner.terminals.get('t-manager')!;
    learner.type('t-manager', 'yes flood | head -c 20000000; echo flood-done\r');
    // Without acks the server stops after ~1 MiB of unacknowledged output.
    await waitFor(() => term.length > 1024 * 1024, 30_000, 'first MiB');
    const stalled = term.length;
    await assert.rejects(waitFor(() => term.length > stalled + 2 * 1024 * 1024, 1_500, 'more output'));
    // Acknowledging what arrives, as the browser does, lets it finish.
    // (term.length, not term.bytes: joining 20 MB on every frame would make the test the bottleneck.)
    const ack = () => learner.send({ type: 'ack', terminalId: 't-manager', offset: term.from + term.length });
    learner.onOutput = ack;
    ack();
    try {
      await waitFor(() => /flood-done/.test(term.tail(200).toString()), 120_000, 'flood finished after acks');
    } finally {
      learner.onOutput = undefined;
    }
  });

  test('a learner who kills dockerd gets the node back', async () => {
    await learner.open('t-worker-1', 'worker-1');
    learner.type('t-worker-1', 'pkill -x dockerd\r');
    await waitFor(() => learner.terminals.get('t-worker-1')!.exited, 30_000, 'shell ends with the node');
    await waitFor(
      async () => {
        try {
          await learner.open('t-worker-1', 'worker-1');
          return (await learner.run('t-worker-1', 'docker info --format "{{.Name}}"', 5_000)).trim() === 'worker-1';
        } catch {
          return false;
        }
      },
      60_000,
      'worker-1 back with its engine',
    );
  });
});
