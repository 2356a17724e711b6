import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { registryConfig, sameSeed, seedRecord, splitRepoTag } from './mirror-config.ts';

test('registry config: read-only flag, address and storage', () => {
  const cfg = parse(registryConfig({ addr: '0.0.0.0:5000', rootDir: '/d/storage', readonly: true }));
  assert.equal(cfg.version, 0.1);
  assert.equal(cfg.http.addr, '0.0.0.0:5000');
  assert.equal(cfg.storage.filesystem.rootdirectory, '/d/storage');
  assert.equal(cfg.storage.maintenance.readonly.enabled, true);
  const seed = parse(registryConfig({ addr: '127.0.0.1:1234', rootDir: '/d/storage', readonly: false }));
  assert.equal(seed.storage.maintenance.readonly.enabled, false);
});

test('seed record compares regardless of order and detects changed ids', () => {
  const a = [
    { mirrorRepo: 'library/flask_app:3.0', id: 'sha256:1' },
    { mirrorRepo: 'mysql/mysql-server:5.7', id: 'sha256:2' },
  ];
  assert.ok(sameSeed([...a].reverse(), a));
  assert.ok(!sameSeed(undefined, a));
  assert.ok(!sameSeed(a.slice(1), a));
  assert.ok(!sameSeed([a[0]!, { ...a[1]!, id: 'sha256:3' }], a));
  assert.equal(seedRecord(a)[0]?.mirrorRepo, 'library/flask_app:3.0');
});

test('splitRepoTag', () => {
  assert.deepEqual(splitRepoTag('library/flask_app:3.0'), { repo: 'library/flask_app', tag: '3.0' });
  assert.deepEqual(splitRepoTag('dockersamples/visualizer'), { repo: 'dockersamples/visualizer', tag: 'latest' });
  assert.deepEqual(splitRepoTag('host:5000/x/y'), { repo: 'host:5000/x/y', tag: 'latest' });
});
