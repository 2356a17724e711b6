/**
 * Docker facts stated once.
 * Run: node --import tsx --test contract/docker.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostModeCommand, normalizeImage, shortImage } from './docker.ts';

test('routing mesh to host mode: --publish-rm names the target port, not the published one', () => {
  assert.equal(
    hostModeCommand('web', 8080, 5000),
    'docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=8080 web',
  );
  assert.equal(hostModeCommand('web', 5000), 'docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=5000 web');
});

test('image references: short form drops registry, library and digest; for comparison untagged means :latest', () => {
  assert.equal(shortImage('docker.io/library/flask_app:3.0@sha256:F42C'), 'flask_app:3.0');
  assert.equal(shortImage('dockersamples/visualizer'), 'dockersamples/visualizer');
  assert.equal(normalizeImage(' dockersamples/visualizer '), 'dockersamples/visualizer:latest');
  assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizeImage('index.docker.io/library/mysql:5.7'), 'mysql:5.7');
});
