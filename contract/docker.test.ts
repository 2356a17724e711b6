/**
 * Docker facts stated once.
 * Run: node --import tsx --test contract/docker.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostModeCommand } from './docker.ts';

test('routing mesh to host mode: --publish-rm names the target port, not the published one', () => {
  assert.equal(
    hostModeCommand('web', 8080, 5000),
    'docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=8080 web',
  );
  assert.equal(hostModeCommand('web', 5000), 'docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=5000 web');
});
