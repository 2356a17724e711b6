/**
 * Learners are kept apart: from a learner's root shell, another learner's
 * nodes, this host's servers and the mirror's write side are out of reach (the
 * mirror answers at its own address only),
 * while what they need (their own nodes, pulls from the mirror) still works.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { INNER_DOCKER_PORT } from '../../sandbox-server/src/engine/inner-api.ts';
import { registryConfig } from '../../sandbox-server/src/images/mirror-config.ts';

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
    const own = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${aliceWorker}:${INNER_DOCKER_PORT}/_ping`);
    assert.equal(own.code, 0, `own worker answers: ${own.output}`);
    const other = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${bobManager}:${INNER_DOCKER_PORT}/_ping`);
    assert.notEqual(other.code, 0, `another learner's node must not answer: ${other.output}`);
  });

  test('a learner cannot reach the sandbox server, other host services or the host engine', async () => {
    const gw = (await alice.run('t-manager', "ip route | awk '/default/ {print $3}'")).trim();
    assert.match(gw, /^\d+\.\d+\.\d+\.\d+$/);
    // Positive control: from the host these answer.
    assert.equal((await fetch(`http://127.0.0.1:${hostServicePort}/`)).status, 200);
    for (const port of [server.port, hostServicePort, INNER_DOCKER_PORT]) {
      const r = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${gw}:${port}/`);
      assert.notEqual(r.code, 0, `port ${port} on the host must be closed to learner nodes: ${r.output}`);
    }
    const engine = await alice.run('t-manager', 'docker info --format "{{.Name}}"');
    assert.equal(engine.trim(), 'manager', 'the docker socket in a node is the node\'s own engine');
  });

  test('pulls from the mirror work, pushes to it are refused', async () => {
    const mirror = `${server.config.SWB_MIRROR_ADDR}:${server.config.SWB_MIRROR_PORT}`;
    const pull = await alice.runWithCode('t-manager', 'docker pull -q flask_app:2.0', 120_000);
    assert.equal(pull.code, 0, pull.output);
    await alice.run('t-manager', `docker tag flask_app:2.0 ${mirror}/library/flask_app:evil`);
    const push = await alice.runWithCode('t-manager', `docker push ${mirror}/library/flask_app:evil`, 120_000);
    assert.notEqual(push.code, 0, `push must fail: ${push.output}`);
    const tags = await (await fetch(`http://${mirror}/v2/library/flask_app/tags/list`)).json() as { tags: string[] };
    assert.ok(!tags.tags.includes('evil'), 'the mirror holds no pushed tag');
  });

  test('the mirror answers at its own address only: not on the gateways, not on the host\'s other interfaces', async () => {
    const { SWB_MIRROR_ADDR: addr, SWB_MIRROR_PORT: port } = server.config;
    const gw = (await alice.run('t-manager', "ip route | awk '/default/ {print $3}'")).trim();
    const own = await alice.runWithCode('t-manager', `curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://${addr}:${port}/v2/`);
    assert.equal(own.output.trim().slice(-3), '200', `a node reaches the mirror at its address: ${own.output}`);
    const viaGateway = await alice.runWithCode('t-manager', `curl -sS --max-time 5 http://${gw}:${port}/v2/`);
    assert.notEqual(viaGateway.code, 0, `the gateway must not answer on the mirror's port: ${viaGateway.output}`);

    const outside = hostAddress();
    assert.equal(await registryAnswers(`${addr}:${port}`), true, 'the mirror answers at its own address');
    assert.equal(await registryAnswers(`${outside}:${port}`), false, `the mirror must not answer on ${outside}`);
    assert.equal(await registryAnswers(`127.0.0.1:${port}`), false, 'nor on 127.0.0.1');
    // Control: the same registry bound to every interface, as it was, answers at that address.
    const control = await serveOnEveryInterface(server.config.SWB_REGISTRY_BIN, server.config.SWB_MIRROR_DIR);
    try {
      assert.equal(await registryAnswers(`${outside}:${control.port}`), true, 'control: an all-interfaces registry answers there');
    } finally {
      control.stop();
    }
  });
});

/** An IPv4 address of this host that is neither loopback nor the mirror's (eth0's here). */
function hostAddress(): string {
  const all = Object.entries(os.networkInterfaces()).flatMap(([name, list]) => (list ?? []).map((a) => ({ name, ...a })));
  const found = all.find((a) => a.family === 'IPv4' && !a.internal && !a.name.startsWith('swb') && !a.name.startsWith('docker') && !a.name.startsWith('br-'));
  assert.ok(found, 'this host has an outside IPv4 address');
  return found.address;
}

async function registryAnswers(hostPort: string): Promise<boolean> {
  const res = await fetch(`http://${hostPort}/v2/`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
  return res?.status === 200;
}

async function serveOnEveryInterface(registryBin: string, mirrorDir: string): Promise<{ port: number; stop(): void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '0.0.0.0', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-mirror-control-'));
  const config = path.join(dir, 'serve.yml');
  fs.writeFileSync(config, registryConfig({ addr: `0.0.0.0:${port}`, rootDir: path.join(mirrorDir, 'storage'), readonly: true }));
  const child = spawn(registryBin, ['serve', config], { stdio: 'ignore' });
  await waitFor(() => registryAnswers(`127.0.0.1:${port}`), 15_000, 'the control registry to answer');
  return {
    port,
    stop: () => {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
