/**
 * The check logic over JSON captured from a real swarm (Docker 20.10 inside a
 * node; see fixtures/engine-sample.json): services created with and without a
 * name, host-mode and ingress publishing, a pending task, a failed task that
 * swarm replaced, a rolling update, an overlay network.
 * Run: node --import tsx --test sandbox-server/src/checks/evaluate.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import type { ContainerJson, EngineInfo, NetworkJson, ServiceJson, SwarmNodeJson, TaskJson } from './engine.ts';
import { staticView } from '../../../test/helpers/static-view.ts';
import { evaluate } from './evaluate.ts';
import { exerciseCheck, type Check } from '@contract/checks.ts';
import { findService } from './services.ts';
import { normalizeImage, pageGist } from './words.ts';

const sample = JSON.parse(fs.readFileSync(new URL('./fixtures/engine-sample.json', import.meta.url), 'utf8')) as {
  services: ServiceJson[];
  tasks: TaskJson[];
  networks: NetworkJson[];
  nodes: SwarmNodeJson[];
  info: EngineInfo;
  containers: ContainerJson[];
};

const view = (extra: Parameters<typeof staticView>[0] = {}) =>
  staticView({
    info: { manager: sample.info, 'worker-1': { Swarm: { LocalNodeState: 'inactive' } }, 'worker-2': null },
    services: sample.services,
    tasks: sample.tasks,
    nodes: sample.nodes,
    networks: sample.networks,
    containers: { manager: sample.containers },
    ...extra,
  });

/** Parse like the lesson loader does, then evaluate. */
async function run(check: unknown, v = view()) {
  return evaluate(exerciseCheck.parse(check) as Check, v);
}

describe('finding a service', () => {
  it('finds an unnamed service by image and published port, ignoring the digest swarm recorded', () => {
    const found = findService(sample.services, { image: 'flask_app:3.0', port: 5000 });
    assert.ok('service' in found && found.service.Spec.Name === 'web');
    const other = findService(sample.services, { image: 'docker.io/library/flask_app:3.0', port: 5001 });
    assert.ok('service' in other && other.service.Spec.Name === 'xenodochial_yonath');
  });

  it('says which service runs the image when it does not publish the port', () => {
    const found = findService(sample.services, { image: 'flask_app:2.0', port: 5000 });
    assert.deepEqual(found, { missing: 'service `c1` runs flask_app:2.0 but does not publish port 5000 (it publishes no ports): publish it with `docker service update --publish-add target=5000,published=5000 c1`' });
  });

  it('points at a same-image service under another name', () => {
    const found = findService(sample.services, { name: 'db' }, 'mysql/mysql-server:5.7');
    assert.ok('missing' in found);
    assert.match(found.missing, /^there is no service named `db`; `database` and `nodb` run mysql\/mysql-server:5\.7 under another name: remove it with `docker service rm database nodb` and create it again with --name db$/);
  });
});

describe('service checks', () => {
  it('passes a service that has what the exercise asks for', async () => {
    const o = await run({
      service: {
        match: { name: 'database' },
        image: 'mysql/mysql-server:5.7',
        replicas: 1,
        running: 1,
        env: { MYSQL_DATABASE: 'workbench', MYSQL_USER: 'workbench' },
        mounts: [{ type: 'bind', source: '/lab/init.sql', target: '/docker-entrypoint-initdb.d/init.sql' }],
        networks: ['app'],
        endpointMode: 'dnsrr',
      },
    });
    assert.equal(o.passed, true, o.message);
    assert.deepEqual(o.notes, []);
  });

  it('names the missing network and the ones attached', async () => {
    const o = await run({ service: { match: { name: 'nodb' }, networks: ['app'] } });
    assert.equal(o.message, 'service `nodb` is not attached to network `app` (attached: none): attach it with `docker service update --network-add app nodb`');
    const db = await run({ service: { match: { name: 'database' }, networks: ['backend'] } });
    assert.equal(db.message, 'service `database` is not attached to network `backend` (attached: `app`): attach it with `docker service update --network-add backend database`');
  });

  it('names missing environment variables and mounts', async () => {
    const o = await run({ service: { match: { name: 'nodb' }, env: { MYSQL_DATABASE: 'workbench' }, mounts: [{ type: 'bind', target: '/docker-entrypoint-initdb.d/init.sql' }] } });
    assert.equal(
      o.message,
      'service `nodb` has no variable MYSQL_DATABASE (expected MYSQL_DATABASE=workbench): `docker service update --env-add MYSQL_DATABASE=workbench nodb`; service `nodb` has no bind mount at /docker-entrypoint-initdb.d/init.sql (mounts: none): `docker service update --mount-add type=bind,dst=/docker-entrypoint-initdb.d/init.sql nodb`',
    );
  });

  it('counts running replicas and says why the others wait', async () => {
    const o = await run({ service: { match: { image: 'flask_app:3.0', port: 5000 }, replicas: 2, running: 2 } });
    assert.equal(o.message, 'service `web`: 1 of 2 replicas running; 1 pending: no suitable node (host-mode port already in use on 1 node)');
    const wrongCount = await run({ service: { match: { image: 'flask_app:3.0', port: 5000 }, replicas: 3 } });
    assert.equal(wrongCount.message, 'service `web` is set to 2 replicas (expected 3): `docker service scale web=3`');
  });

  it('reports ports as published->target', async () => {
    const o = await run({ service: { match: { image: 'flask_app:3.0', port: 5001 }, ports: [{ published: 5000, target: 5000 }] } });
    assert.equal(o.message, 'service `xenodochial_yonath` publishes 5001->5000 (expected 5000->5000): `docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=5000 xenodochial_yonath`');
  });

  it('rejects ingress publishing on a host without IPVS, with the command that fixes it; accepts it where IPVS works', async () => {
    const o = await run({ service: { match: { image: 'flask_app:3.0', port: 5001 }, ports: [{ published: 5001, target: 5000 }] } });
    assert.equal(o.passed, false);
    assert.equal(
      o.message,
      'your service `xenodochial_yonath` publishes 5001 through the routing mesh, which this host lacks (no IPVS), so nothing answers on it: switch it to host mode with `docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=5001 xenodochial_yonath` (or remove it with `docker service rm xenodochial_yonath` and publish with mode=host)',
    );
    const withIpvs = await run({ service: { match: { image: 'flask_app:3.0', port: 5001 }, ports: [{ published: 5001, target: 5000 }] } }, view({ ipvs: true }));
    assert.equal(withIpvs.passed, true, withIpvs.message);
    assert.deepEqual(withIpvs.notes, []);
  });

  it('reports the endpoint mode, with the host note for a VIP', async () => {
    const o = await run({ service: { match: { name: 'web' }, endpointMode: 'dnsrr' } });
    assert.equal(o.message, 'service `web` uses endpoint mode vip (expected dnsrr): `docker service update --endpoint-mode dnsrr web`');
    assert.match(o.notes[0]!, /virtual IP of `web` leads nowhere.*--endpoint-mode dnsrr web/);
  });

  it('compares placement constraints without spaces', async () => {
    assert.equal((await run({ service: { match: { name: 'c1' }, constraints: ['node.role == manager'] } })).passed, true);
    const o = await run({ service: { match: { name: 'c1' }, constraints: ['node.role==worker'] } });
    assert.equal(o.message, 'service `c1` has no placement constraint node.role==worker (constraints: node.role==manager and node.hostname != x): `docker service update --constraint-rm node.role==manager --constraint-rm node.hostname!=x --constraint-add node.role==worker c1`');
  });

  it('has nothing to find without a swarm', async () => {
    const o = await run({ service: { match: { name: 'web' } } }, view({ info: { manager: { Swarm: { LocalNodeState: 'inactive' } } } }));
    assert.match(o.message, /^service `web` cannot exist yet: there is no swarm yet/);
  });
});

describe('tasks over time', () => {
  it('sees a task swarm replaced after its container died', async () => {
    const o = await run({ rescheduled: { service: { match: { name: 'c1' } } } });
    assert.equal(o.passed, true, o.message);
    assert.match(o.message, /replaced a failed task of `c1`; the new task runs on manager/);
  });

  it('does not count a rolling update (or a scale-down) as rescheduling', async () => {
    const o = await run({ rescheduled: { service: { match: { image: 'flask_app:3.0', port: 5000 } } } });
    assert.equal(o.passed, false);
    assert.match(o.message, /^the tasks of `web` were replaced by an update \(such as `docker service update --force`\).*: break one, on manager: `docker rm -f \$\(docker ps -q --filter label=com.docker.swarm.service.name=web\)`$/);
  });

  it('counts the nodes a service runs on', async () => {
    const o = await run({ spread: { service: { match: { name: 'web' } }, minNodes: 2 } });
    assert.equal(o.message, 'service `web` has 1 running task (on manager); it needs tasks on at least 2 nodes');
  });
});

describe('swarm, nodes, networks, stacks', () => {
  it('reads a node\'s swarm state and role', async () => {
    assert.equal((await run({ swarm: { node: 'manager', role: 'manager' } })).passed, true);
    const w = await run({ swarm: { node: 'worker-1' } });
    assert.equal(w.message, '`worker-1` is not part of a swarm (swarm: inactive); `manager` started a swarm instead, but the swarm should start on `worker-1`: leave it, on manager: `docker swarm leave --force`, then on worker-1: `docker swarm init`');
    assert.match((await run({ swarm: { node: 'worker-2' } })).message, /engine of `worker-2` does not answer/);
  });

  it('counts ready nodes and managers', async () => {
    const o = await run({ nodes: { count: 3, managers: 1 } });
    assert.equal(o.message, 'the swarm has 1 ready node (manager); expected 3; print the join command on the manager with `docker swarm join-token worker` and run it on `worker-1` and `worker-2`');
  });

  it('knows a network by name, driver and scope', async () => {
    assert.equal((await run({ network: { name: 'app', driver: 'overlay', scope: 'swarm' } })).passed, true);
    const local = await run({ network: { name: 'docker_gwbridge', driver: 'overlay' } });
    assert.equal(local.message, 'network `docker_gwbridge` uses driver bridge, scope local (expected driver overlay): remove it first with `docker network rm docker_gwbridge`, then create it again with `docker network create --driver=overlay docker_gwbridge`');
    const missing = await run({ network: { name: 'backend' } });
    assert.equal(missing.message, 'there is no network `backend` (networks you created: `app` (overlay)): create it with `docker network create backend`');
  });

  it('finds no stack among plain services', async () => {
    assert.equal((await run({ stack: { name: 'swarmlab', services: ['app'] } })).message, 'stack `swarmlab` is not deployed (no stacks yet)');
  });
});

describe('what nodes serve and hold', () => {
  it('explains a silent routing-mesh port on a host without IPVS', async () => {
    const o = await run({ http: { node: 'manager', port: 5001, contains: 'Hello' } });
    assert.match(o.message, /^nothing answers on manager:5001: your service `xenodochial_yonath` publishes 5001 through the routing mesh, which this host lacks \(no IPVS\).*`docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=5001 xenodochial_yonath`/);
    const plain = await run({ http: { node: 'manager', port: 5001 } }, view({ ipvs: true }));
    assert.equal(plain.message, 'nothing answers on manager:5001 (connection refused)');
  });

  it('quotes the error a page shows instead of the expected text', async () => {
    const body = '<html><body><h1>Flask app</h1><h2>Database error</h2>\n<pre>MySQLdb.OperationalError: (2005, &quot;Unknown MySQL server host &#x27;database&#x27; (-2)&quot;)</pre></body></html>';
    const o = await run({ http: { node: 'manager', port: 5000, contains: 'Hello from the database' } }, view({ http: { 'manager:5000/': { ok: true, status: 500, body } } }));
    assert.equal(
      o.message,
      'manager:5000 answered HTTP 500: MySQLdb.OperationalError: (2005, "Unknown MySQL server host \'database\' (-2)") (expected “Hello from the database”)',
    );
    assert.match(o.notes.join(' '), /virtual IP of `web`/, 'a VIP service with networks is named as the likely cause');
  });

  it('reads lab files', async () => {
    const files = { 'manager:/lab/docker-stack.yml': 'replicas: 3\n' };
    const o = await run({ file: { node: 'manager', path: '/lab/docker-stack.yml', contains: 'replicas: 2' } }, view({ files }));
    assert.equal(o.message, '/lab/docker-stack.yml on `manager` does not contain “replicas: 2”: edit it in the editor and save');
    assert.equal((await run({ file: { node: 'manager', path: '/lab/x.yml' } })).message, '/lab/x.yml does not exist on `manager`');
  });

  it('tells a plain container from a swarm task', async () => {
    const o = await run({ container: { image: 'flask_app:3.0', node: 'manager' } });
    assert.equal(o.message, 'no container from flask_app:3.0 is running on `manager` (2 swarm tasks run it, but this exercise wants a plain docker run container)');
    const viz: ContainerJson = { Id: 'abc', Names: ['/keen_viz'], Image: 'dockersamples/visualizer', Ports: [{ PrivatePort: 8080, PublicPort: 8081, Type: 'tcp' }] };
    const wrongPort = await run({ container: { image: 'dockersamples/visualizer', ports: [{ published: 8080, target: 8080 }] } }, view({ containers: { manager: [viz] } }));
    assert.equal(wrongPort.message, 'container `keen_viz` (dockersamples/visualizer) on `manager` publishes 8081->8080 (expected 8080->8080): remove it with `docker rm -f keen_viz`');
  });
});

describe('combining checks', () => {
  it('all: names the first problem and counts the rest', async () => {
    const o = await run({
      all: [{ service: { match: { name: 'database' }, networks: ['app'] } }, { nodes: { count: 3 } }, { network: { name: 'backend' } }],
    });
    assert.equal(o.passed, false);
    assert.equal(o.message, 'the swarm has 1 ready node (manager); expected 3; print the join command on the manager with `docker swarm join-token worker` and run it on `worker-1` and `worker-2`; then 1 more thing to do');
  });

  it('any: passes with one, explains all when none holds', async () => {
    assert.equal((await run({ any: [{ nodes: { count: 3 } }, { network: { name: 'app' } }] })).passed, true);
    const o = await run({ any: [{ nodes: { count: 3 } }, { network: { name: 'backend' } }] });
    assert.match(o.message, /^none of these holds yet: the swarm has 1 ready node.*; or there is no network `backend`/);
  });
});

describe('loopholes closed (issue 12)', () => {
  it('counts only tasks that failed after the learner began the lesson', async () => {
    const failed = sample.tasks.find((t) => ['failed', 'rejected', 'complete'].includes(t.Status?.State ?? '') && t.DesiredState !== 'running')!;
    const at = Date.parse(failed.Status!.Timestamp!);
    const before = await evaluate(exerciseCheck.parse({ rescheduled: { service: { match: { name: 'c1' } } } }) as Check, view(), { since: at - 1000 });
    assert.equal(before.passed, true, before.message);
    const later = await evaluate(exerciseCheck.parse({ rescheduled: { service: { match: { name: 'c1' } } } }) as Check, view(), { since: at + 1000 });
    assert.equal(later.passed, false);
    assert.match(later.message, /since you began this lesson.*`docker rm -f /);
  });

  it('rejects two services of the same image on the same port, naming the one to remove', () => {
    const web = sample.services.find((s) => s.Spec.Name === 'web')!;
    const twin = { ...web, ID: 'twin', CreatedAt: '2999-01-01T00:00:00Z', Spec: { ...web.Spec, Name: 'twin' } };
    const found = findService([...sample.services, twin], { image: 'flask_app:3.0', port: 5000 });
    assert.deepEqual(found, { missing: '2 services run flask_app:3.0 on port 5000 (`web` and `twin`); the lesson wants one: remove the extra one with `docker service rm twin`' });
  });

  it('names a wrong image tag on the lesson port', () => {
    const web = sample.services.find((s) => s.Spec.Name === 'web')!;
    const old = { ...web, Spec: { ...web.Spec, TaskTemplate: { ...web.Spec.TaskTemplate, ContainerSpec: { ...web.Spec.TaskTemplate!.ContainerSpec, Image: 'flask_app:2.0' } } } };
    const found = findService([old], { image: 'flask_app:3.0', port: 5000 });
    assert.deepEqual(found, { missing: 'service `web` runs flask_app:2.0, not flask_app:3.0: give it the lesson\'s image with `docker service update --image flask_app:3.0 web`' });
  });

  it('wants the visualizer container on the manager with the Docker socket', async () => {
    const check = { container: { image: 'dockersamples/visualizer', node: 'manager', ports: [{ published: 8080, target: 8080 }], mounts: [{ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }], run: 'docker run -d -p 8080:8080 -v /var/run/docker.sock:/var/run/docker.sock dockersamples/visualizer' } };
    const viz = (mounts: ContainerJson['Mounts']): ContainerJson => ({ Id: 'abc', Names: ['/keen_viz'], Image: 'dockersamples/visualizer', Ports: [{ PrivatePort: 8080, PublicPort: 8080, Type: 'tcp' }], Mounts: mounts });
    const socket = [{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' }];
    assert.equal((await run(check, view({ containers: { manager: [viz(socket)] } }))).passed, true);
    const noSocket = await run(check, view({ containers: { manager: [viz([])] } }));
    assert.match(noSocket.message, /no bind mount of \/var\/run\/docker.sock.*`docker rm -f keen_viz`, then start it on manager with `docker run -d -p 8080:8080 -v/);
    const onWorker = await run(check, view({ containers: { manager: [], 'worker-1': [viz(socket)] } }));
    assert.match(onWorker.message, /runs on `worker-1`, not on `manager`: remove it, on worker-1: `docker rm -f keen_viz`/);
  });

  it('says how to bring a drained node back when replicas wait', async () => {
    const nodes = sample.nodes.map((n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    const o = await run({ service: { match: { image: 'flask_app:3.0', port: 5000 }, running: 2 } }, view({ nodes }));
    assert.match(o.message, /is drained: `docker node update --availability active manager`/);
    const active = await run({ nodes: { active: 1 } }, view({ nodes }));
    assert.match(active.message, /0 nodes are available.*`docker node update --availability active manager`/);
  });
});

describe('words', () => {
  it('normalises image references the way swarm and the CLI write them', () => {
    assert.equal(normalizeImage('flask_app:3.0@sha256:f42c6f8356d9f9a4591861274548717f5c96cf40ca3fc8e3121f3487bae7b735'), 'flask_app:3.0');
    assert.equal(normalizeImage('docker.io/library/flask_app:3.0'), 'flask_app:3.0');
    assert.equal(normalizeImage('dockersamples/visualizer'), 'dockersamples/visualizer:latest');
    assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
  });

  it('finds the error line of a page', () => {
    assert.equal(pageGist('<p>Served by <b>x</b></p><p>Traceback ... KeyError: boom</p>'), 'KeyError: boom');
    assert.equal(pageGist('<h1>Hello</h1>'), 'Hello');
  });
});
