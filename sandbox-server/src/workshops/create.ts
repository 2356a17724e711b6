/**
 * A new workshop from the instructor's form: the request checked against the lessons and the
 * calendar, a fresh join code (another is drawn when an open workshop has it) and the instructor
 * secret, whose hash alone is stored. More places than the host serves is allowed, with a warning.
 */
import { createWorkshopRequest, type CreateWorkshopRequest } from '@contract/workshop.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { LessonSource } from './dashboard.ts';
import { WorkshopError } from './errors.ts';
import { PREWARM_LEAD_MS } from './joining.ts';
import { seatWarning, type HostSeats } from './seats.ts';
import { hashSecret, newJoinCode, newSecret, newWorkshopId } from './secrets.ts';
import type { WorkshopRow, WorkshopStore } from './store.ts';

/** A workshop starts at most this far ahead (and not more than an hour in the past). */
const MAX_LEAD_MS = 90 * 24 * 3600_000;
const MAX_PAST_MS = 3600_000;
/** Longest workshop (the request schema says the same). */
const MAX_DURATION_MIN = 7 * 24 * 60;

export interface CreateDeps {
  store: WorkshopStore;
  lessons: LessonSource & { slugs(): string[] };
  host: HostSeats;
  log: Logger;
}

export function createWorkshop(deps: CreateDeps, input: CreateWorkshopRequest): { workshop: WorkshopRow; secret: string; warning?: string } {
  const parsed = createWorkshopRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WorkshopError('invalid', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const req = parsed.data;
  const unknown = req.lessons.filter((l) => !deps.lessons.get(l));
  if (unknown.length) throw new WorkshopError('invalid', `unknown lessons: ${unknown.join(', ')} (known: ${deps.lessons.slugs().join(', ')})`);
  const now = Date.now();
  const startsAt = req.startsAt ?? now;
  if (startsAt < now - MAX_PAST_MS || startsAt > now + MAX_LEAD_MS) {
    throw new WorkshopError('invalid', 'startsAt: a workshop starts between an hour ago and 90 days from now');
  }
  if (req.durationMin > MAX_DURATION_MIN) throw new WorkshopError('invalid', 'durationMin: a workshop lasts at most 7 days');
  const endsAt = startsAt + req.durationMin * 60_000;
  const warning = seatWarning({ capacity: req.capacity, startsAt, endsAt }, deps.store.openWorkshops(), deps.host);
  const secret = newSecret();
  for (let attempt = 0; ; attempt++) {
    const workshop: WorkshopRow = {
      id: newWorkshopId(),
      title: req.title,
      lessons: req.lessons,
      capacity: req.capacity,
      startsAt,
      endsAt,
      learnersMayReset: req.learnersMayReset,
      secretHash: hashSecret(secret),
      joinCode: newJoinCode(),
      createdAt: now,
      endedAt: null,
      expected: Math.min(req.expected, req.capacity),
      prewarmAt: startsAt - PREWARM_LEAD_MS,
    };
    try {
      deps.store.insertWorkshop(workshop);
      deps.log.info('workshop created', { workshop: workshop.id, capacity: workshop.capacity, lessons: workshop.lessons.length });
      if (warning) deps.log.warn('workshop larger than the host', { workshop: workshop.id, warning });
      return { workshop, secret, ...(warning ? { warning } : {}) };
    } catch (err) {
      // A join code already used by an open workshop: draw another.
      if (attempt >= 5 || !/UNIQUE/.test(errorMessage(err))) throw err;
    }
  }
}
