/** The client's state as one immutable snapshot, for React's useSyncExternalStore. */
import type { SandboxSnapshot } from './types.ts';

export class SnapshotStore {
  private snapshot: SandboxSnapshot = { connection: { kind: 'idle' }, cluster: null, notice: null, claimRefusal: null };
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SandboxSnapshot => this.snapshot;

  update(patch: Partial<SandboxSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }
}
