/**
 * The check vocabulary rejects mistakes with a precise path and reason, and
 * every kind the lessons use parses.
 * Run: node --import tsx --test contract/checks.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkKind, checkKindNames, checkKinds, exerciseCheck, lessonRefsOf } from './checks.ts';

const issues = (input: unknown) => {
  const r = exerciseCheck.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('check schema', () => {
  it('parses one kind per object and keeps hold at the top', () => {
    const r = exerciseCheck.parse({ hold: true, service: { match: { name: 'database' }, replicas: 2 } });
    assert.deepEqual(r, { hold: true, service: { match: { name: 'database' }, replicas: 2 } });
    assert.equal(checkKind(r), 'service');
    assert.deepEqual(exerciseCheck.parse({ swarm: { node: 'manager' } }), { swarm: { node: 'manager', state: 'active' } });
    assert.deepEqual(exerciseCheck.parse({ http: { node: 'manager', port: 5000 } }), { http: { node: 'manager', port: 5000, path: '/' } });
  });

  it('names unknown kinds, bad parameters and misplaced hold', () => {
    assert.deepEqual(issues({ servce: {} }), [`servce: unknown check kind "servce"; known kinds: ${checkKindNames.join(', ')}`]);
    assert.deepEqual(issues({ service: { match: { name: 'x' }, replicas: -1 } }), ['service.replicas: Too small: expected number to be >=0']);
    assert.deepEqual(issues({ service: { match: { name: 'x' }, replica: 1 } }), ['service: Unrecognized key: "replica"']);
    assert.deepEqual(issues({ all: [{ nodes: { count: 3 }, hold: true }] }), ["all.0.hold: hold belongs at the top of the exercise's check, not inside all/any"]);
    assert.deepEqual(issues({ all: [] }), ['all: all: list at least one check']);
    assert.deepEqual(issues({ nodes: {} }), ['nodes: nodes: give count, managers, workers or active']);
    assert.deepEqual(issues('swarm'), [`: a check is an object with one kind as its key (${checkKindNames.join(', ')})`]);
    assert.deepEqual(issues({ file: { node: 'manager', path: '/lab/../etc/passwd' } }), ['file.path: path must stay inside /lab']);
  });

  it('knows the kinds of the registry, then all and any, and nothing from the prototype', () => {
    assert.deepEqual(checkKindNames, [...Object.keys(checkKinds), 'all', 'any']);
    for (const [kind, schema] of Object.entries(checkKinds)) assert.ok(schema.description, `${kind}: describe it for the lesson writer`);
    assert.deepEqual(issues({ toString: {} }), [`toString: unknown check kind "toString"; known kinds: ${checkKindNames.join(', ')}`]);
  });

  it('takes every kind the lessons use', () => {
    const all = {
      all: [
        { swarm: { node: 'manager', state: 'active', role: 'manager' } },
        { nodes: { count: 3, managers: 1 } },
        { service: { match: { image: 'flask_app:3.0', port: 5000 }, replicas: 1, running: 1, ports: [{ published: 5000, target: 5000 }] } },
        { service: { match: { name: 'viz' }, constraints: ['node.role==manager'], mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' }] } },
        { network: { name: 'app', driver: 'overlay', scope: 'swarm' } },
        { spread: { service: { match: { image: 'flask_app:3.0', port: 5000 } }, minNodes: 2 } },
        { rescheduled: { service: { match: { name: 'web' } } } },
        { stack: { name: 'swarmlab', services: ['app', 'database'] } },
        { http: { node: 'manager', port: 5000, contains: 'Hello from the database' } },
        { file: { node: 'manager', path: '/lab/docker-stack.yml', contains: 'replicas: 2' } },
        { container: { image: 'dockersamples/visualizer', ports: [{ published: 8080, target: 8080 }] } },
        { any: [{ service: { match: { name: 'a' }, endpointMode: 'dnsrr', env: { A: '1' }, networks: ['app'] } }] },
      ],
    };
    assert.deepEqual(issues(all), []);
  });

  it('says which parameters name a node of the lesson or a lab file (the content linter reads this, not a list per kind)', () => {
    const refs = (c: Record<string, unknown>) => {
      const parsed = exerciseCheck.parse(c);
      const kind = checkKind(parsed) as keyof typeof checkKinds;
      return lessonRefsOf(kind, (parsed as Record<string, unknown>)[kind]).map((r) => `${r.names} ${r.path.join('.')}=${r.value}`);
    };
    assert.deepEqual(refs({ file: { node: 'worker-1', path: '/lab/a.yml' } }), ['node node=worker-1', 'labFile path=/lab/a.yml']);
    assert.deepEqual(refs({ node: { name: 'worker-2', availability: 'drain' } }), ['node name=worker-2']);
    assert.deepEqual(refs({ stack: { name: 's', services: ['a'], file: '/lab/docker-stack.yml' } }), ['labFile file=/lab/docker-stack.yml']);
    assert.deepEqual(refs({ container: { image: 'nginx' } }), [], 'an optional node left out names nothing');
    assert.deepEqual(refs({ service: { match: { name: 'manager' }, networks: ['manager'] } }), [], 'a service named like a node is not a node');
  });
});
