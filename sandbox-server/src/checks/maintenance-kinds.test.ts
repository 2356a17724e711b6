/**
 * The node, rollout and secret check kinds over hand-made engine JSON shaped as Docker 20.10 answers
 * (the lesson tests run them against real clusters): each passes on the state it names and fails,
 * with a reason, on the near misses the lessons declare as wrong answers.
 * Run: node --import tsx --test sandbox-server/src/checks/maintenance-kinds.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceJson, SwarmNodeJson, TaskJson } from './engine.ts';
import { staticView } from '../../../test/helpers/static-view.ts';
import { evaluate } from './evaluate.ts';
import { exerciseCheck, type Check } from '@contract/checks.ts';

const info = { manager: { Swarm: { LocalNodeState: 'active', ControlAvailable: true } } };
const nodes: SwarmNodeJson[] = [
  { ID: 'n1', Description: { Hostname: 'manager' }, Spec: { Role: 'manager', Availability: 'active' }, Status: { State: 'ready' } },
  { ID: 'n3', Description: { Hostname: 'worker-2' }, Spec: { Role: 'worker', Availability: 'active' }, Status: { State: 'ready' } },
];
const run = (check: unknown, data: { services?: ServiceJson[]; tasks?: TaskJson[]; nodes?: SwarmNodeJson[] }) =>
  evaluate(exerciseCheck.parse(check) as Check, staticView({ info, nodes, ...data }));

const spec = (image: string, extra: Record<string, unknown> = {}) => ({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: image } }, Mode: { Replicated: { Replicas: 1 } }, ...extra });
const task = (id: string, image: string, o: Partial<TaskJson> = {}): TaskJson => ({
  ID: id, ServiceID: 's1', Slot: 1, NodeID: 'n1', CreatedAt: '2026-01-01T00:00:02Z', DesiredState: 'running', Status: { State: 'running' }, Spec: { ContainerSpec: { Image: image } }, ...o,
});

describe('rollout', () => {
  const updated = (state: string, image: string, previous: string, delayNs: number) =>
    ({ ID: 's1', Spec: { ...spec(image), UpdateConfig: { Parallelism: 1, Delay: delayNs } }, PreviousSpec: spec(previous), UpdateStatus: { State: state } }) as unknown as ServiceJson;
  const want = { rollout: { service: { match: { name: 'web' } }, image: 'flask_app:3.0', from: 'flask_app:2.0', state: 'completed', parallelism: 1, minDelaySeconds: 5 } };

  it('passes after a finished update with the asked delay, every task on the new image', async () => {
    const o = await run(want, { services: [updated('completed', 'flask_app:3.0', 'flask_app:2.0', 5e9)], tasks: [task('t1', 'flask_app:3.0@sha256:abc')] });
    assert.ok(o.passed, o.message);
  });
  it('fails for a service made anew, an update without delay, one still running, and a rollback', async () => {
    const fresh = { ID: 's1', Spec: spec('flask_app:3.0') } as unknown as ServiceJson;
    assert.match((await run(want, { services: [fresh], tasks: [task('t1', 'flask_app:3.0')] })).message, /never been updated/);
    assert.match((await run(want, { services: [updated('completed', 'flask_app:3.0', 'flask_app:2.0', 0)], tasks: [task('t1', 'flask_app:3.0')] })).message, /waits 0 s/);
    assert.match((await run(want, { services: [updated('updating', 'flask_app:3.0', 'flask_app:2.0', 5e9)], tasks: [task('t1', 'flask_app:2.0')] })).message, /is updating/);
    assert.match((await run(want, { services: [updated('rollback_completed', 'flask_app:2.0', 'flask_app:3.0', 0)], tasks: [task('t1', 'flask_app:2.0')] })).message, /rolled back/);
  });
  it('tells a rollback from an update back to the old image, and a second rollback', async () => {
    const back = { rollout: { service: { match: { name: 'web' } }, image: 'flask_app:2.0', from: 'flask_app:3.0', state: 'rolled_back' } };
    assert.ok((await run(back, { services: [updated('rollback_completed', 'flask_app:2.0', 'flask_app:3.0', 0)], tasks: [task('t1', 'flask_app:2.0')] })).passed);
    assert.match((await run(back, { services: [updated('completed', 'flask_app:2.0', 'flask_app:3.0', 0)], tasks: [task('t1', 'flask_app:2.0')] })).message, /not a rollback/);
    assert.match((await run(back, { services: [updated('rollback_completed', 'flask_app:3.0', 'flask_app:2.0', 0)], tasks: [task('t1', 'flask_app:3.0')] })).message, /expected flask_app:2.0/);
  });
});

describe('secret', () => {
  const db = (env: string[], secrets: { SecretName: string; File: { Name: string } }[]) =>
    ({ ID: 's2', Spec: { Name: 'database', TaskTemplate: { ContainerSpec: { Image: 'mysql/mysql-server:5.7', Env: env, Secrets: secrets } } } }) as unknown as ServiceJson;
  const want = { secret: { name: 'db_password', service: { match: { name: 'database' } }, env: 'MYSQL_PASSWORD_FILE' } };
  const given = [{ SecretName: 'db_password', File: { Name: 'db_password' } }];
  it('passes when the service reads the secret through *_FILE and has no plain password', async () => {
    assert.ok((await run(want, { services: [db(['MYSQL_PASSWORD_FILE=/run/secrets/db_password'], given)] })).passed);
  });
  it('fails without the secret, with a wrong path, and with the plain variable kept', async () => {
    assert.match((await run(want, { services: [db(['MYSQL_PASSWORD=workbench'], [])] })).message, /not given the secret/);
    assert.match((await run(want, { services: [db(['MYSQL_PASSWORD_FILE=db_password'], given)] })).message, /must point at its file/);
    assert.match((await run(want, { services: [db(['MYSQL_PASSWORD_FILE=/run/secrets/db_password', 'MYSQL_PASSWORD=x'], given)] })).message, /plain text/);
  });
});

describe('node', () => {
  const want = { node: { name: 'worker-2', availability: 'active', movedOff: true } };
  const moved = [
    task('old', 'flask_app:3.0', { NodeID: 'n3', DesiredState: 'shutdown', Status: { State: 'shutdown' }, CreatedAt: '2026-01-01T00:00:01Z' }),
    task('new', 'flask_app:3.0', { NodeID: 'n1' }),
  ];
  it('passes once tasks moved off the node and it is active again', async () => {
    assert.ok((await run(want, { tasks: moved })).passed);
  });
  it('fails before any drain, while drained or paused, and for a rolling update (new spec)', async () => {
    assert.match((await run(want, { tasks: [task('t', 'flask_app:3.0', { NodeID: 'n3' })] })).message, /has not moved any task/);
    const drained = nodes.map((n) => (n.ID === 'n3' ? { ...n, Spec: { ...n.Spec, Availability: 'drain' } } : n));
    assert.match((await run(want, { tasks: moved, nodes: drained })).message, /still drained/);
    const paused = nodes.map((n) => (n.ID === 'n3' ? { ...n, Spec: { ...n.Spec, Availability: 'pause' } } : n));
    assert.match((await run(want, { tasks: moved, nodes: paused })).message, /paused/);
    const update = [moved[0]!, task('new', 'flask_app:2.0', { NodeID: 'n3' })];
    assert.ok(!(await run(want, { tasks: update })).passed);
  });
});
