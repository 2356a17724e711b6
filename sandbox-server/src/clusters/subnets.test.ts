import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayOf, subnetsOf } from './subnets.ts';

test('a /16 holds 256 /24 subnets, in order', () => {
  const all = subnetsOf('10.89.0.0/16');
  assert.equal(all.length, 256);
  assert.equal(all[0], '10.89.0.0/24');
  assert.equal(all[255], '10.89.255.0/24');
  assert.equal(gatewayOf(all[3]!), '10.89.3.1');
});

test('a range that is not aligned is aligned down; bad ranges are refused', () => {
  assert.deepEqual(subnetsOf('10.89.7.0/23'), ['10.89.6.0/24', '10.89.7.0/24']);
  assert.throws(() => subnetsOf('10.89.0.0/25'), /between \/8 and \/24/);
  assert.throws(() => subnetsOf('nonsense'), /must look like/);
});
