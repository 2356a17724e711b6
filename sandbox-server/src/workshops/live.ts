/**
 * What a workshop pushes to open pages: each learner page's workshop socket (the workshop, notices,
 * "your instructor is watching", go to a lesson, ended) and each open instructor dashboard (sent
 * again whenever it changed: progress has no events of its own, so dashboards are also refreshed
 * on a timer). Who is online is whoever has a learner socket open.
 */
import type { Dashboard, LearnerWorkshopServerMessage } from '@contract/workshop.ts';
import type { LearnerRow, WorkshopRow } from './store.ts';

export type LearnerSend = (msg: LearnerWorkshopServerMessage) => void;
export type DashboardSend = (d: Dashboard) => void;

/** A notice is shown to a learner page that opens within this long of it. */
const NOTICE_FRESH_MS = 15 * 60_000;

export class LiveFeeds {
  private readonly learnerSockets = new Map<string, Set<LearnerSend>>();
  private readonly dashboards = new Map<string, { listeners: Set<DashboardSend>; last: string }>();
  private readonly watchers = new Map<string, number>();
  private readonly lastNotice = new Map<string, { text: string; at: number }>();
  /** After close nothing is computed or sent (the store behind `dashboardOf` is gone). */
  private closed = false;

  /** `dashboardOf`: the workshop's dashboard now, or undefined when there is no such workshop. */
  constructor(private readonly dashboardOf: (workshopId: string) => Dashboard | undefined) {}

  online(learnerId: string): boolean {
    return (this.learnerSockets.get(learnerId)?.size ?? 0) > 0;
  }

  /** A learner page's workshop socket opened: it gets the workshop, the watch state and a recent notice. */
  connectLearner(row: LearnerRow, w: WorkshopRow, send: LearnerSend): () => void {
    let set = this.learnerSockets.get(row.id);
    if (!set) this.learnerSockets.set(row.id, (set = new Set()));
    set.add(send);
    send({ type: 'workshop', title: w.title, name: row.name, lessons: w.lessons, learnersMayReset: w.learnersMayReset });
    send({ type: 'watched', watching: (this.watchers.get(row.id) ?? 0) > 0 });
    const notice = this.lastNotice.get(w.id);
    if (notice && Date.now() - notice.at < NOTICE_FRESH_MS) send({ type: 'notice', ...notice });
    this.changed(w.id);
    const own = set;
    return () => {
      own.delete(send);
      if (!own.size && this.learnerSockets.get(row.id) === own) this.learnerSockets.delete(row.id);
      this.changed(w.id);
    };
  }

  /** 1 when the learner has a page open (and it was sent `msg`), else 0. */
  toLearner(learnerId: string, msg: LearnerWorkshopServerMessage): number {
    const set = this.learnerSockets.get(learnerId);
    for (const send of set ?? []) send(msg);
    return set?.size ? 1 : 0;
  }

  /** A notice to every learner of the workshop (kept for pages opened soon after); returns the learners reached. */
  notice(workshopId: string, learnerIds: readonly string[], text: string): number {
    const notice = { text, at: Date.now() };
    this.lastNotice.set(workshopId, notice);
    let reached = 0;
    for (const id of learnerIds) reached += this.toLearner(id, { type: 'notice', ...notice });
    return reached;
  }

  /** An instructor started (+1) or stopped (-1) watching a learner's terminal: the learner is told. */
  watching(learnerId: string, delta: 1 | -1): void {
    const n = Math.max(0, (this.watchers.get(learnerId) ?? 0) + delta);
    if (n) this.watchers.set(learnerId, n);
    else this.watchers.delete(learnerId);
    this.toLearner(learnerId, { type: 'watched', watching: n > 0 });
  }

  /** Follow a workshop's dashboard: `first` now, then every change. */
  subscribe(workshopId: string, first: Dashboard, send: DashboardSend): () => void {
    let entry = this.dashboards.get(workshopId);
    if (!entry) this.dashboards.set(workshopId, (entry = { listeners: new Set(), last: '' }));
    entry.listeners.add(send);
    send(first);
    const own = entry;
    return () => {
      own.listeners.delete(send);
      if (!own.listeners.size && this.dashboards.get(workshopId) === own) this.dashboards.delete(workshopId);
    };
  }

  /** Push the workshop's dashboard to its open dashboards if it changed. */
  changed(workshopId: string): void {
    if (this.closed) return;
    const entry = this.dashboards.get(workshopId);
    const d = entry && this.dashboardOf(workshopId);
    if (!entry || !d) return;
    const json = JSON.stringify(d);
    if (json === entry.last) return;
    entry.last = json;
    for (const send of entry.listeners) send(d);
  }

  /** Every open dashboard, again (progress has no events of its own). */
  refresh(): void {
    for (const id of this.dashboards.keys()) this.changed(id);
  }

  close(): void {
    this.closed = true;
  }
}
