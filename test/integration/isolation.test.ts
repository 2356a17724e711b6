/**
 * Learners are kept apart: from a learner's root shell, another learner's
 * nodes, this host's servers and the mirror's write side are out of reach,
 * while what they need (their own nodes, pulls from the mirror) still works.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';

describe('isolation between learners and from the host', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let alice: Learner;
  let bob: Learner;
  let hostService: http.Server;
  let hostServicePort: number;

  before(async () => {
    server = await startTestServer('isolation');
    [alice, bob] = await Promise.all([Learner.join(server.url), Learner.join(server.url)]);
    await Promise.all([alice.waitReady(), bob.waitReady()]);
    await Promise.all([alice.open('t-manager', 'manager'), bob.open('t-manager', 'manager')]);
    // Stands for any other server on this host bound to all interfaces (e.g. a separately run web app).
    hostService = http.createServer((_req, res) => res.end('host-service'));
    await new Promise<void>((r) => hostService.listen(0, '0.0.0.0', r));
    hostServicePort = (hostService.address() as AddressInfo).port;
  });
  after(async () => {
    alice?.close();
    bob?.close();
    hostService?.close();
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  test('two learners cannot see each other\'s shells or files', async () => {
    await alice.run('t-manager', 'echo alice-secret-$((40+2)) > /root/secret; echo written');
    assert.match(alice.text('t-manager'), /written/);
    const fromBob = await bob.runWithCode('t-manager', 'cat /root/secret');
    assert.notEqual(fromBob.code, 0, 'bob has no such file');
    assert.doesNotMatch(bob.text('t-manager'), /alice-secret-42/);
    // Bob asking for Alice's terminal id gets his own shell on his own cluster.
    const bobAgain = await bob.anotherPage();
    const replay = await bobAgain.open('t-manager', 'manager');
    await bobAgain.run('t-manager', 'true');
    assert.doesNotMatch(replay.bytes.toString(), /alice-secret/);
    bobAgain.close();
    assert.notDeepEqual(alice.cluster!.nodes.map((n) => n.ip), bob.cluster!.nodes.map((n) => n.ip));
  });

  test('a learner cannot reach another learner\'s nodes, but reaches their own', async () => {
    const bobManager = bob.cluster!.nodes.find((n) => n.name === 'manager')!.ip;
    const aliceWorker = alice.cluster!.nodes.find((n) => n.name === 'worker-1')!.ip;
    const own = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${aliceWorker}:2375/_ping`);
    assert.equal(own.code, 0, `own worker answers: ${own.output}`);
    const other = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${bobManager}:2375/_ping`);
    assert.notEqual(other.code, 0, `another learner's node must not answer: ${other.output}`);
  });

  test('a learner cannot reach the sandbox server, other host services or the host engine', async () => {
    const gw = (await alice.run('t-manager', "ip route | awk '/default/ {print $3}'")).trim();
    assert.match(gw, /^\d+\.\d+\.\d+\.\d+$/);
    // Positive control: from the host these answer.
    assert.equal((await fetch(`http://127.0.0.1:${hostServicePort}/`)).status, 200);
    for (const port of [server.port, hostServicePort, 2375]) {
      const r = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${gw}:${port}/`);
      assert.notEqual(r.code, 0, `port ${port} on the host must be closed to learner nodes: ${r.output}`);
    }
    const engine = await alice.run('t-manager', 'docker info --format "{{.Name}}"');
    assert.equal(engine.trim(), 'manager', 'the docker socket in a node is the node\'s own engine');
  });

  test('pulls from the mirror work, pushes to it are refused', async () => {
    const gw = (await alice.run('t-manager', "ip route | awk '/default/ {print $3}'")).trim();
    const port = server.config.SWB_MIRROR_PORT;
    const pull = await alice.runWithCode('t-manager', 'docker pull -q flask_app:2.0', 120_000);
    assert.equal(pull.code, 0, pull.output);
    await alice.run('t-manager', `docker tag flask_app:2.0 ${gw}:${port}/library/flask_app:evil`);
    const push = await alice.runWithCode('t-manager', `docker push ${gw}:${port}/library/flask_app:evil`, 120_000);
    assert.notEqual(push.code, 0, `push must fail: ${push.output}`);
    const tags = await (await fetch(`http://127.0.0.1:${port}/v2/library/flask_app/tags/list`)).json() as { tags: string[] };
    assert.ok(!tags.tags.includes('evil'), 'the mirror holds no pushed tag');
  });
});
