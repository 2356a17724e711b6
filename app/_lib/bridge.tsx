'use client';
/**
 * The link between lesson text and workbench on one page. Text components
 * (Run buttons, file links, exercise blocks) talk to this; the workbench
 * registers itself when it has loaded. Actions before that are queued, so a
 * Run clicked while the workbench is still loading is not lost.
 */
import { createContext, useContext, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { AppliedStep, ExerciseState, NodeName } from '@contract/protocol.ts';

export type { ExerciseState };

export interface ExerciseStatus {
  state: ExerciseState;
  /** What is still missing, or why it failed (from the server's check). */
  message?: string;
  /** Something this host cannot do that matters for this exercise. */
  hostNote?: string;
}

/** What Apply solution ran (from the server), or that it is running. */
export interface ApplyResult {
  running: boolean;
  ok?: boolean;
  steps?: AppliedStep[];
  error?: string;
}

/** Where Check and Apply solution requests go (the workbench's sandbox connection, which sends them once connected). */
export interface CheckTarget {
  check(exerciseId: string): void;
  apply(exerciseId: string): void;
}

export interface WorkbenchTarget {
  runCommand(node: NodeName, command: string): void;
  openFile(path: string): void;
}

type Action = { kind: 'run'; node: NodeName; command: string } | { kind: 'open'; path: string };

export class WorkbenchBridge {
  private target: WorkbenchTarget | null = null;
  private queue: Action[] = [];
  private states = new Map<string, ExerciseStatus>();
  private readonly listeners = new Set<() => void>();

  /** The workbench calls this once mounted; returns the disconnect function. */
  connect(target: WorkbenchTarget): () => void {
    this.target = target;
    const queued = this.queue;
    this.queue = [];
    for (const a of queued) this.dispatch(a);
    return () => {
      if (this.target === target) this.target = null;
    };
  }

  runCommand(node: NodeName, command: string): void {
    this.dispatch({ kind: 'run', node, command });
  }

  openFile(path: string): void {
    this.dispatch({ kind: 'open', path });
  }

  private dispatch(a: Action): void {
    if (!this.target) {
      this.queue.push(a);
      return;
    }
    if (a.kind === 'run') this.target.runCommand(a.node, a.command);
    else this.target.openFile(a.path);
  }

  // Exercise verdicts, fed by the server's live checks (useExerciseChecks).
  setExerciseState(id: string, status: ExerciseStatus): void {
    const cur = this.states.get(id);
    if (cur && cur.state === status.state && cur.message === status.message && cur.hostNote === status.hostNote) return;
    this.states = new Map(this.states).set(id, status);
    for (const l of this.listeners) l();
  }

  getExerciseStates = (): ReadonlyMap<string, ExerciseStatus> => this.states;

  // Check now / Apply solution, sent by the workbench once it is connected.
  private checks: CheckTarget | null = null;
  private applies = new Map<string, ApplyResult>();

  /** Requests made before the workbench was there; sent once it connects. */
  private waitingChecks: { kind: 'check' | 'apply'; id: string }[] = [];

  connectChecks(target: CheckTarget): () => void {
    this.checks = target;
    const waiting = this.waitingChecks;
    this.waitingChecks = [];
    for (const w of waiting) (w.kind === 'check' ? target.check : target.apply)(w.id);
    return () => {
      if (this.checks === target) this.checks = null;
    };
  }

  checkExercise(id: string): void {
    if (this.checks) this.checks.check(id);
    else this.waitingChecks.push({ kind: 'check', id });
  }

  applySolution(id: string): void {
    this.setApplyResult(id, { running: true });
    if (this.checks) this.checks.apply(id);
    else this.waitingChecks.push({ kind: 'apply', id });
  }

  setApplyResult(id: string, result: ApplyResult): void {
    this.applies = new Map(this.applies).set(id, result);
    for (const l of this.listeners) l();
  }

  clearRunningApplies(error: string): void {
    const running = [...this.applies].filter(([, r]) => r.running);
    if (!running.length) return;
    this.applies = new Map(this.applies);
    for (const [id] of running) this.applies.set(id, { running: false, error });
    for (const l of this.listeners) l();
  }

  getApplyResults = (): ReadonlyMap<string, ApplyResult> => this.applies;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

const BridgeContext = createContext<WorkbenchBridge | null>(null);

export function BridgeProvider({ children }: { children: ReactNode }) {
  const [bridge] = useState(() => new WorkbenchBridge());
  return <BridgeContext.Provider value={bridge}>{children}</BridgeContext.Provider>;
}

export function useBridge(): WorkbenchBridge {
  const bridge = useContext(BridgeContext);
  if (!bridge) throw new Error('useBridge() outside <BridgeProvider>');
  return bridge;
}

const noStates: ReadonlyMap<string, ExerciseStatus> = new Map();
const pending: ExerciseStatus = { state: 'pending' };

/** Status of one exercise (`pending` until the server says otherwise). */
export function useExerciseStatus(id: string): ExerciseStatus {
  const bridge = useBridge();
  const states = useSyncExternalStore(bridge.subscribe, bridge.getExerciseStates, () => noStates);
  return states.get(id) ?? pending;
}

const noApplies: ReadonlyMap<string, ApplyResult> = new Map();

/** The last Apply solution of one exercise, if any. */
export function useApplyResult(id: string): ApplyResult | undefined {
  const bridge = useBridge();
  const applies = useSyncExternalStore(bridge.subscribe, bridge.getApplyResults, () => noApplies);
  return applies.get(id);
}
