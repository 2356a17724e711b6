/**
 * The whole foundation, for real: a learner's cluster, shells over the
 * WebSocket protocol, a swarm built by typing, a replicated service pulled
 * through the registry mirror, resize, and a reload that reattaches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

describe('a learner builds a swarm through the terminal protocol', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let learner: Learner;

  before(async () => {
    server = await startTestServer('swarm');
    learner = await Learner.join(server.url);
    await learner.waitReady();
    await learner.open('t-manager', 'manager');
  });
  after(async () => {
    learner?.close();
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  test('swarm init, workers join, overlay network, 3 replicas spread over the nodes', async () => {
    learner.type('t-manager', 'docker swarm init\r');
    await learner.waitOutput('t-manager', /Swarm initialized/);
    const token = (await learner.run('t-manager', 'docker swarm join-token -q worker')).trim();
    assert.match(token, /^SWMTKN-/);

    for (const worker of ['worker-1', 'worker-2']) {
      await learner.open(`t-${worker}`, worker);
      learner.type(`t-${worker}`, `docker swarm join --token ${token} manager:2377\r`);
      await learner.waitOutput(`t-${worker}`, /This node joined a swarm as a worker/);
    }
    const nodes = await learner.run('t-manager', 'docker node ls --format "{{.Hostname}} {{.Status}}"');
    assert.deepEqual(nodes.trim().split('\n').sort(), ['manager Ready', 'worker-1 Ready', 'worker-2 Ready']);

    const mirrors = await learner.run('t-manager', 'docker info --format "{{json .RegistryConfig.Mirrors}}"');
    assert.match(mirrors, /http:\/\/[\d.]+:\d+/, 'nodes pull through the local registry mirror');

    // Without IPVS a service VIP does not route; dnsrr resolves straight to the tasks.
    const ipvs = server.sandbox.facts.ipvs;
    if (!ipvs) console.log('# this host has no IPVS: the service uses --endpoint-mode dnsrr (VIP mode needs IPVS)');
    await learner.run('t-manager', 'docker network create --driver overlay --attachable app');
    const created = await learner.run(
      't-manager',
      `docker service create --detach --name web --replicas 3 --network app ${ipvs ? '' : '--endpoint-mode dnsrr'} flask_app:3.0`,
    );
    assert.doesNotMatch(created, /Error|error response/i, created);
    let placement = '';
    await waitFor(
      async () => {
        placement = await learner.run('t-manager', 'docker service ps web --filter desired-state=running --format "{{.Node}} {{.CurrentState}}"');
        return placement.split('\n').filter((l) => / Running /.test(l)).length === 3;
      },
      120_000,
      '3 running replicas',
      () => placement,
    );
    const nodesUsed = new Set(placement.trim().split('\n').map((l) => l.split(' ')[0]));
    assert.ok(nodesUsed.size >= 2, `tasks spread over nodes: ${[...nodesUsed].join(', ')}`);

    // The app answers from inside the overlay, through swarm DNS, on every replica's address.
    const answer = await learner.run('t-manager', 'docker run --rm --network app flask_app:3.0 python3 -c "import socket; print(sorted(set(a[4][0] for a in socket.getaddrinfo(\'tasks.web\', 5000))))"');
    assert.equal(answer.match(/\d+\.\d+\.\d+\.\d+/g)?.length, 3, answer);
  });

  test('resize reaches the shell', async () => {
    learner.send({ type: 'resize', terminalId: 't-manager', cols: 91, rows: 37 });
    await waitFor(async () => (await learner.run('t-manager', 'stty size')).trim() === '37 91', 10_000, 'stty size 37 91');
  });

  test('a reload reattaches to the same shell and replays the scrollback byte-exact', async () => {
    await learner.run('t-manager', 'export MARK=reattach-$RANDOM; echo $MARK');
    const before = learner.terminals.get('t-manager')!;
    const seen = Buffer.concat([Buffer.alloc(0), before.bytes]);
    const reloaded = await learner.reload();
    learner = reloaded;
    const term = await reloaded.open('t-manager', 'manager');
    await waitFor(() => term.bytes.length >= seen.length, 10_000, 'replay');
    // Replay covers what the first page saw (it began at offset 0, like a fresh page).
    assert.equal(term.from, 0);
    assert.ok(term.bytes.subarray(0, seen.length).equals(seen), 'replayed bytes equal the original stream');
    const mark = await reloaded.run('t-manager', 'echo $MARK');
    assert.match(mark, /^reattach-\d+/, 'same shell: its variable is still set');
  });

  test('reconnecting with an offset sends only what was missed: nothing duplicated, nothing lost', async () => {
    // Output that arrives while the page is away: a background job in the shell.
    learner.type('t-manager', '(sleep 1; echo away-$((6*7))) &\r');
    await learner.waitOutput('t-manager', /\[1\] \d+/);
    const first = learner.terminals.get('t-manager')!;
    const have = first.from + first.bytes.length;
    const reconnected = await learner.reload();
    learner = reconnected;
    const witness = await reconnected.anotherPage();
    const full = await witness.open('t-manager', 'manager');
    await witness.waitOutput('t-manager', /away-42/);
    const resumed = await reconnected.open('t-manager', 'manager', { offset: have });
    assert.equal(resumed.from, have, 'replay starts exactly where the client left off');
    await reconnected.waitOutput('t-manager', /away-42/);
    const end = (t: { from: number; bytes: Buffer }) => t.from + t.bytes.length;
    await waitFor(() => end(full) === end(resumed), 5_000, 'both viewers at the same offset');
    // Bytes may still have reached the closing page after `have` was taken: the client only "had" up to `have`.
    const stitched = Buffer.concat([first.bytes.subarray(0, have - first.from), resumed.bytes]);
    assert.equal(full.from, first.from);
    assert.ok(full.bytes.equals(stitched), 'what the client had + what it got on reconnect == the whole stream');
    witness.close();
  });
});
