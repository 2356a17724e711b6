'use client';
/**
 * What the lesson page knows about the host, so it shows the seed's commands where IPVS works and
 * the host-mode / dnsrr variants (with their one-line reason) only where it does not. The pages are
 * rendered at build time, so the fact comes from the server's health answer (`ipvs`, detected at
 * start-up, engine/host.ts) once the page runs; until then only what is meant for every host shows.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { forHost, hostFactOf, type HostFact, type NoteKind } from '@contract/lesson.ts';
import { paths } from '@contract/protocol.ts';

const HostContext = createContext<HostFact | null | undefined>(undefined);

let asked: Promise<HostFact | null> | null = null;

function askServer(): Promise<HostFact | null> {
  asked ??= fetch(paths.health, { cache: 'no-store', credentials: 'same-origin' })
    .then((r) => (r.ok ? (r.json() as Promise<{ ipvs?: unknown }>) : null))
    .then((b) => (typeof b?.ipvs === 'boolean' ? hostFactOf(b.ipvs) : null))
    .catch(() => null)
    .then((fact) => {
      if (fact === null) asked = null; // ask again on the next page that needs it
      return fact;
    });
  return asked;
}

/** Fixes the host fact (tests, or a page that knows it); without it the page asks the server. */
export function HostProvider({ fact, children }: { fact: HostFact | null; children: ReactNode }) {
  return <HostContext.Provider value={fact}>{children}</HostContext.Provider>;
}

/** `ipvs`, `no-ipvs`, or null while not known. */
export function useHostFact(): HostFact | null {
  const given = useContext(HostContext);
  const [fetched, setFetched] = useState<HostFact | null>(null);
  useEffect(() => {
    if (given !== undefined) return;
    let live = true;
    void askServer().then((f) => live && setFetched(f));
    return () => {
      live = false;
    };
  }, [given]);
  return given !== undefined ? given : fetched;
}

/** Host notes explain what a host without IPVS cannot do: shown only there. Other notes always. */
export function noteShown(kind: NoteKind | undefined, fact: HostFact | null): boolean {
  return kind !== 'host' || fact === 'no-ipvs';
}

/** Hints or solution steps for this host; while the fact is unknown, only those for every host. */
export function visibleFor<T extends { host?: HostFact }>(items: readonly T[], fact: HostFact | null): T[] {
  return fact ? forHost(items, fact) : items.filter((i) => !i.host);
}

/** Renders its children only when the page's host fact allows a note of this kind. */
export function HostGate({ kind, children }: { kind: NoteKind | undefined; children: ReactNode }) {
  const fact = useHostFact();
  return noteShown(kind, fact) ? <>{children}</> : null;
}
