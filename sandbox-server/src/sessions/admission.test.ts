import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkOf } from '../http/request.ts';
import { admissionRefusal, type AdmissionRules } from './admission.ts';

const rules: AdmissionRules = { public: true, perAddress: 2, anonymousMax: 5, networkOf };
const claim = (address: string | undefined, holders: (string | undefined)[]) => admissionRefusal(rules, { address, holders, idleMinutes: 45 });

test('per network: the cap, then 429 with Retry-After and words', () => {
  assert.equal(claim('1.1.1.1', ['1.1.1.1']), null);
  const r = claim('1.1.1.1', ['1.1.1.1', '1.1.1.1']);
  assert.equal(r?.status, 429);
  assert.ok((r?.retryAfterSeconds ?? 0) > 0);
  assert.match(r!.message, /allows 2 sandboxes per network.*close another tab's sandbox.*ask your instructor/);
  assert.equal(claim('2.2.2.2', ['1.1.1.1', '1.1.1.1']), null, 'another network is not limited');
  assert.equal(claim('2001:db8::1', ['2001:db8::2', '2001:db8::3'])?.status, 429, 'one IPv6 /64 is one network');
});

test('visitors together: at most their share of the host', () => {
  const r = claim('9.9.9.9', ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5']);
  assert.equal(r?.status, 429);
  assert.match(r!.message, /kept for workshops/);
});

test('SWB_PUBLIC=off: no visitor claims', () => {
  const r = admissionRefusal({ ...rules, public: false }, { address: '1.1.1.1', holders: [], idleMinutes: 45 });
  assert.equal(r?.status, 403);
  assert.match(r!.message, /workshops only/);
});
