import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageParts } from './message-parts.ts';

describe('messageParts', () => {
  it('turns backticked spans into code and docker commands into runnable ones', () => {
    const parts = messageParts('network `app` uses driver bridge: remove it first with `docker network rm app`', 'manager');
    assert.deepEqual(parts, [
      { kind: 'text', text: 'network ' },
      { kind: 'code', text: 'app' },
      { kind: 'text', text: ' uses driver bridge: remove it first with ' },
      { kind: 'code', text: 'docker network rm app', run: { node: 'manager', command: 'docker network rm app' } },
    ]);
  });

  it('runs a command on the node named right before it', () => {
    const parts = messageParts('run on worker-1: `docker ps` then `docker node ls`', 'manager');
    assert.deepEqual(parts.filter((p) => p.kind === 'code').map((p) => p.kind === 'code' && p.run?.node), ['worker-1', 'manager']);
  });

  it('leaves text without backticks, stray backticks and non-docker code alone', () => {
    assert.deepEqual(messageParts('all good', 'manager'), [{ kind: 'text', text: 'all good' }]);
    assert.deepEqual(messageParts('a ` b', 'manager'), [{ kind: 'text', text: 'a ` b' }]);
    assert.deepEqual(messageParts('`curl localhost`', 'manager'), [{ kind: 'code', text: 'curl localhost' }]);
    assert.deepEqual(messageParts('`dockerd`', 'manager'), [{ kind: 'code', text: 'dockerd' }]);
  });
});
