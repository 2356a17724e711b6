'use client';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { getSandboxClient, type SandboxClient, type SandboxSnapshot } from '../../_lib/sandbox/index.ts';

const idle: SandboxSnapshot = { connection: { kind: 'idle' }, cluster: null };

/** The shared sandbox client, connected while the calling component is mounted. */
export function useSandbox(): { client: SandboxClient; snapshot: SandboxSnapshot } {
  const [client] = useState(getSandboxClient);
  useEffect(() => {
    const release = client.acquire();
    // Come back quickly after sleep or a network change instead of waiting out the backoff.
    const retry = () => client.retryNow();
    const onVisible = () => document.visibilityState === 'visible' && retry();
    window.addEventListener('online', retry);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      release();
      window.removeEventListener('online', retry);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [client]);
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, () => idle);
  return { client, snapshot };
}

/** Re-render every `ms` while `active` (for countdowns). */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}

/** True while the system is in dark mode (for xterm and Monaco themes). */
export function usePrefersDark(): boolean {
  return useSyncExternalStore(
    (cb) => {
      const mq = window.matchMedia('(prefers-color-scheme: dark)');
      mq.addEventListener('change', cb);
      return () => mq.removeEventListener('change', cb);
    },
    () => window.matchMedia('(prefers-color-scheme: dark)').matches,
    () => false,
  );
}
