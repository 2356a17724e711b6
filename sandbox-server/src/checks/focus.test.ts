import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Check } from '@contract/checks.ts';
import type { ClusterState } from '@contract/protocol.ts';
import { focusOfCheck } from './focus.ts';
import { focusedServices } from '@contract/visualizer/layout.ts';

test('an exercise is about the service its check names, also inside all/any', () => {
  const parse = (c: unknown) => c as Check;
  assert.deepEqual(focusOfCheck(parse({ service: { match: { name: 'viz' }, replicas: 1 } })), { service: 'viz' });
  assert.deepEqual(focusOfCheck(parse({ service: { match: { image: 'flask_app:3.0', port: 5000 } } })), { image: 'flask_app:3.0', port: 5000 });
  assert.deepEqual(focusOfCheck(parse({ all: [{ swarm: {} }, { spread: { service: { match: { name: 'web' } } } }] })), { service: 'web' });
  assert.equal(focusOfCheck(parse({ swarm: {} })), undefined);
  assert.equal(focusOfCheck(undefined), undefined);
});

test('the focus finds services in the picture by name, or by image and port', () => {
  const svc = (name: string, image: string, published?: number) => ({
    id: name, name, image, mode: 'replicated' as const, replicas: 1, running: 1, endpointMode: 'vip' as const,
    ports: published ? [{ published, target: 5000, protocol: 'tcp' as const, mode: 'ingress' as const }] : [], constraints: [], order: 0,
  });
  const state: ClusterState = {
    swarm: 'active', source: 'manager', nodes: [], outside: [], tasks: [], ports: [],
    services: [svc('vigilant_hopper', 'flask_app:3.0', 5000), svc('database', 'mysql/mysql-server:5.7'), svc('old', 'flask_app:2.0', 5001)],
  };
  assert.deepEqual(focusedServices(state, { service: 'database' }), ['database']);
  assert.deepEqual(focusedServices(state, { image: 'flask_app:3.0', port: 5000 }), ['vigilant_hopper']);
  assert.deepEqual(focusedServices(state, { image: 'flask_app', port: 5001 }), ['old']);
  assert.deepEqual(focusedServices(state, {}), []);
});
