import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlapping, seatWarning } from './seats.ts';
import type { WorkshopRow } from './store.ts';

const H = 3600_000;
const row = (id: string, capacity: number, startsAt: number, hours: number, endedAt: number | null = null) =>
  ({ id, title: `W ${id}`, capacity, startsAt, endsAt: startsAt + hours * H, endedAt }) as WorkshopRow;
const host = { learners: 16, why: 'cores (2 cores)' };

test('a workshop within what the host serves gets no warning', () => {
  assert.equal(seatWarning({ capacity: 16, startsAt: 0, endsAt: 3 * H }, [], host), undefined);
});

test('more places than the host serves: warned with the bound', () => {
  assert.match(seatWarning({ capacity: 20, startsAt: 0, endsAt: 3 * H }, [], host)!, /has 20 places, but this host serves 16 learners at once \(bound by cores \(2 cores\)\)\. Learners past 16 will be told/);
});

test('places promised to other workshops in the same window count; ended and later ones do not', () => {
  const open = [row('a', 10, 2 * H, 3), row('b', 4, -H, 2), row('c', 30, 3 * H, 1), row('d', 30, 0, 3, 1)];
  assert.deepEqual(overlapping({ capacity: 5, startsAt: 0, endsAt: 3 * H }, open).map((o) => o.id), ['a', 'b']);
  const warning = seatWarning({ capacity: 5, startsAt: 0, endsAt: 3 * H }, open, host)!;
  assert.match(warning, /2 other workshops at the same time \("W a", "W b"\) promised 14 of them, so 2 are left\. Learners past 2/);
  assert.equal(seatWarning({ capacity: 2, startsAt: 0, endsAt: 3 * H }, open, host), undefined);
  // A workshop's own dashboard does not count its own places twice.
  assert.equal(seatWarning(row('a', 10, 2 * H, 1), open, host), undefined);
});
