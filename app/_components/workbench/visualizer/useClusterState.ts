'use client';
/**
 * The latest cluster picture pushed by the server (`clusterState`), kept per sandbox client so a
 * view mounted later (another tab of the workbench, the next lesson) has it at once.
 */
import { useSyncExternalStore } from 'react';
import type { ClusterState } from '@contract/protocol.ts';
import type { SandboxClient } from '../../../_lib/sandbox/index.ts';

interface Store {
  state: ClusterState | null;
  listeners: Set<() => void>;
}

const stores = new WeakMap<SandboxClient, Store>();

function storeOf(client: SandboxClient): Store {
  const existing = stores.get(client);
  if (existing) return existing;
  const created: Store = { state: null, listeners: new Set() };
  const set = (state: ClusterState | null) => {
    if (created.state === state) return;
    created.state = state;
    for (const l of created.listeners) l();
  };
  // The client lives as long as the tab: this listener never needs removing.
  client.onServerMessage((msg) => {
    if (msg.type === 'clusterState') set(msg.state);
    // A cluster that is not ready (reset, expired) has no picture; the next one sends its own.
    else if (msg.type === 'cluster' && msg.cluster.status !== 'ready') set(null);
  });
  stores.set(client, created);
  return created;
}

export function useClusterState(client: SandboxClient): ClusterState | null {
  const store = storeOf(client);
  return useSyncExternalStore(
    (cb) => {
      store.listeners.add(cb);
      return () => store.listeners.delete(cb);
    },
    () => store.state,
    () => null,
  );
}
