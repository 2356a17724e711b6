/**
 * Whether the host can seat a workshop: its places against the learners this host serves at once,
 * less the places other open workshops at the same time promised. A workshop past that is still
 * created (the operator may move to a bigger host before the class, or not everyone comes), but
 * the instructor is told before the class, not by the learners who get "server full" during it.
 */
import type { WorkshopRow } from './store.ts';

export interface HostSeats {
  /** Learner clusters this host runs at once (SWB_MAX_CLUSTERS). */
  learners: number;
  /** Why that many, in words: the resource that bounds the host, or that the operator set it. */
  why: string;
}

type Window = Pick<WorkshopRow, 'capacity' | 'startsAt' | 'endsAt'> & { id?: string };

/** Open workshops other than `w` whose time overlaps it. */
export function overlapping(w: Window, open: readonly WorkshopRow[]): WorkshopRow[] {
  return open.filter((o) => o.id !== w.id && o.endedAt === null && o.startsAt < w.endsAt && w.startsAt < o.endsAt);
}

/** The instructor's warning when `w` has more places than the host has left in its window; undefined when it fits. */
export function seatWarning(w: Window, open: readonly WorkshopRow[], host: HostSeats): string | undefined {
  const others = overlapping(w, open);
  const promised = others.reduce((sum, o) => sum + o.capacity, 0);
  const left = Math.max(0, host.learners - promised);
  if (w.capacity <= left) return undefined;
  const serves = `this host serves ${host.learners} learners at once (bound by ${host.why})`;
  const taken = promised
    ? ` and ${others.length === 1 ? 'another workshop' : `${others.length} other workshops`} at the same time (${others.map((o) => `"${o.title}"`).join(', ')}) promised ${promised} of them, so ${left} are left`
    : '';
  return (
    `This workshop has ${w.capacity} places, but ${serves}${taken}. ` +
    `${left ? `Learners past ${left}` : 'Every learner'} will be told the server is full: ask the server's operator for a bigger host (or SWB_MAX_CLUSTERS), or plan for fewer places.`
  );
}
