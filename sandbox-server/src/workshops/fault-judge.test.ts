/**
 * When a class fault counts as healed, judged from one read of the manager.
 * Run: node --import tsx --test sandbox-server/src/workshops/fault-judge.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceJson, SwarmNodeJson, TaskJson } from '../checks/engine.ts';
import { judge, type SwarmRead } from './fault-judge.ts';

const node = (id: string, host: string, o: Partial<SwarmNodeJson> = {}): SwarmNodeJson => ({ ID: id, Description: { Hostname: host }, Spec: { Availability: 'active' }, Status: { State: 'ready' }, ...o });
const svc = { ID: 's', Spec: { Name: 'web', Mode: { Replicated: { Replicas: 2 } } } } as ServiceJson;
const t = (id: string, nodeId: string, state = 'running', desired = 'running'): TaskJson => ({ ID: id, ServiceID: 's', NodeID: nodeId, DesiredState: desired, Status: { State: state, Err: state === 'pending' ? 'no suitable node' : undefined } });
const read = (tasks: TaskJson[], nodes = [node('m', 'manager'), node('w2', 'worker-2', { Spec: { Availability: 'drain' } })]): SwarmRead => ({ services: [svc], tasks, nodes });

describe('class fault healing', () => {
  const drain = { kind: 'drain', node: 'worker-2' } as const;
  it('drain: healed once no replica is placed on the node and all replicas run', () => {
    assert.equal(judge(drain, read([t('a', 'm'), t('b', 'm'), t('old', 'w2', 'shutdown', 'shutdown')]), { sawDown: false }).healed, true);
  });
  it('drain: not healed while a task stays on the node or a replacement is pending', () => {
    assert.match(judge(drain, read([t('a', 'm'), t('b', 'w2')]), { sawDown: false }).message, /still placed on worker-2/);
    const v = judge(drain, read([t('a', 'm'), t('b', '', 'pending')]), { sawDown: false });
    assert.equal(v.healed, false);
    assert.match(v.message, /web: 1\/2 running; pending: no suitable node/);
  });
  it('stopEngine: not healed before the manager saw the node down, even if all runs', () => {
    const stop = { kind: 'stopEngine', node: 'worker-2', seconds: 60 } as const;
    const ready = read([t('a', 'm'), t('b', 'm')]);
    assert.equal(judge(stop, ready, { sawDown: false }).healed, false);
    const down = read([t('a', 'm'), t('b', 'm')], [node('m', 'manager'), node('w2', 'worker-2', { Status: { State: 'down' } })]);
    const v = judge(stop, down, { sawDown: false });
    assert.equal(v.healed, true);
    assert.equal(v.sawDown, true);
  });
  it('killTask: healed only after the manager let go of the killed task and replaced it', () => {
    const kill = { kind: 'killTask', service: 'web' } as const;
    assert.equal(judge(kill, read([t('k', 'm'), t('b', 'm')]), { killedTask: 'k', sawDown: false }).healed, false);
    assert.equal(judge(kill, read([t('k', 'm', 'failed', 'shutdown'), t('b', 'm'), t('c', 'm', 'starting')]), { killedTask: 'k', sawDown: false }).healed, false);
    assert.equal(judge(kill, read([t('k', 'm', 'failed', 'shutdown'), t('b', 'm'), t('c', 'm')]), { killedTask: 'k', sawDown: false }).healed, true);
  });
});
