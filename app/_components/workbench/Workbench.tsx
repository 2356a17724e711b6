'use client';
/**
 * The workbench beside the lesson: a terminal tab per node of the lesson's
 * cluster, the editor tab, the cluster status line and Reset cluster.
 * Client-only (loaded by WorkbenchLoader after the text is on screen).
 */
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useBridge } from '../../_lib/bridge.tsx';
import type { LabFileView } from '../../_lib/content/lessons.ts';
import { commandKeystrokes, type NodeName, type TerminalHandle, type TerminalState } from '../../_lib/sandbox/index.ts';
import { EditorPanel } from './editor/EditorPanel.tsx';
import { ResetDialog } from './ResetDialog.tsx';
import { StatusLine } from './StatusLine.tsx';
import { TerminalView } from './terminal/TerminalView.tsx';
import { useExerciseChecks } from './useExerciseChecks.ts';
import { useSandbox } from './useSandbox.ts';
import { PortBadges } from './visualizer/PortBadges.tsx';
import { useClusterState } from './visualizer/useClusterState.ts';
import { useExerciseFocus } from './visualizer/useExerciseFocus.ts';
import { VisualizerPanel } from './visualizer/VisualizerPanel.tsx';
import styles from './workbench.module.css';

export interface WorkbenchProps {
  lessonSlug: string;
  nodes: NodeName[];
  files: LabFileView[];
}

type TabId = NodeName | 'editor' | 'cluster';
const EDITOR: TabId = 'editor';
const CLUSTER: TabId = 'cluster';

export default function Workbench({ lessonSlug, nodes, files }: WorkbenchProps) {
  const { client, snapshot } = useSandbox();
  const clusterState = useClusterState(client);
  const bridge = useBridge();
  useExerciseChecks(client, bridge, lessonSlug, snapshot.connection.kind);
  const tabs: TabId[] = [...nodes, ...(files.length ? [EDITOR] : []), CLUSTER];
  const [active, setActive] = useState<TabId>(nodes[0] ?? 'manager');
  // Terminals are created on first view: xterm needs a visible element to measure.
  const [mounted, setMounted] = useState<ReadonlySet<TabId>>(() => new Set([active]));
  const [termStates, setTermStates] = useState<Partial<Record<NodeName, TerminalState>>>({});
  const [openPath, setOpenPath] = useState(files[0]?.path ?? '');
  const [dirty, setDirty] = useState(0);
  const [resetOpen, setResetOpen] = useState(false);
  const handles = useRef(new Map<NodeName, TerminalHandle>());
  const pendingRuns = useRef(new Map<NodeName, string[]>());
  const tabRefs = useRef(new Map<TabId, HTMLButtonElement>());
  const section = useRef<HTMLElement>(null);

  const select = useCallback((tab: TabId) => {
    setActive(tab);
    setMounted((m) => (m.has(tab) ? m : new Set(m).add(tab)));
  }, []);

  useEffect(
    () =>
      bridge.connect({
        runCommand(node, command) {
          client.claim(); // Run is the learner's action: their cluster starts now if it has not
          select(node);
          // Stacked layout (phones): the terminal is below the text, bring it into view.
          if (window.matchMedia('(max-width: 900px)').matches) {
            section.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
          }
          const keys = commandKeystrokes(command);
          const handle = handles.current.get(node);
          if (handle) handle.input(keys);
          else pendingRuns.current.set(node, [...(pendingRuns.current.get(node) ?? []), keys]);
        },
        openFile(path) {
          select(EDITOR);
          if (window.matchMedia('(max-width: 900px)').matches) {
            section.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
          }
          setOpenPath(path);
        },
      }),
    [bridge, select, client],
  );
  // The learner's first action in a terminal or the editor (a pointer, focus, a key) claims their cluster; a page view never does.
  const claimOnAction = { onPointerDown: () => client.claim(), onFocus: () => client.claim(), onKeyDown: () => client.claim() };

  const onHandle = useCallback((node: NodeName, handle: TerminalHandle | null) => {
    if (!handle) {
      handles.current.delete(node);
      return;
    }
    handles.current.set(node, handle);
    for (const keys of pendingRuns.current.get(node) ?? []) handle.input(keys);
    pendingRuns.current.delete(node);
  }, []);

  const onState = useCallback((node: NodeName, state: TerminalState) => setTermStates((s) => (s[node] === state ? s : { ...s, [node]: state })), []);

  function onTabKey(e: KeyboardEvent) {
    const i = tabs.indexOf(active);
    const moves: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    const next = moves[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const tab = tabs[(next + tabs.length) % tabs.length]!;
    select(tab);
    tabRefs.current.get(tab)?.focus();
  }

  const { connection, cluster } = snapshot;
  const live = connection.kind === 'connected' && cluster?.status === 'ready';
  const clusterEpoch = useClusterEpoch(cluster?.status);
  const clusterNodes = new Set(cluster?.nodes.map((n) => n.name));
  const focus = useExerciseFocus(client, lessonSlug, live ? clusterState : null);
  const missing = (node: NodeName) => live && !clusterNodes.has(node);
  const waitingText =
    connection.kind === 'stopped'
      ? 'Disconnected: see the message above'
      : connection.kind === 'retrying'
        ? 'Reconnecting…'
        : connection.kind !== 'connected' || !cluster
          ? 'Connecting…'
          : cluster.status === 'unclaimed'
            ? 'Click here or press Start to start your sandbox.'
            : cluster.status !== 'ready'
            ? 'Waiting for your cluster…'
            : 'Not available';

  return (
    <section ref={section} className={styles.workbench} aria-label="Workbench">
      <div className={styles.bar}>
        <div role="tablist" aria-label="Terminals, editor and cluster" className={styles.tabs} onKeyDown={onTabKey}>
          {tabs.map((tab) => {
            const isNode = tab !== EDITOR && tab !== CLUSTER;
            const state = isNode ? termStates[tab] : undefined;
            const missing = isNode && live && !clusterNodes.has(tab);
            const dot = missing
              ? 'missing'
              : state === undefined
                ? 'idle'
                : state === 'open'
                  ? 'open'
                  : state === 'exited' || state === 'failed'
                    ? 'error'
                    : 'waiting';
            return (
              <button
                key={tab}
                ref={(el) => {
                  if (el) tabRefs.current.set(tab, el);
                  else tabRefs.current.delete(tab);
                }}
                type="button"
                role="tab"
                id={`wb-tab-${tab}`}
                aria-selected={active === tab}
                aria-controls={`wb-panel-${tab}`}
                tabIndex={active === tab ? 0 : -1}
                className={styles.tab}
                onClick={() => select(tab)}
                {...(isNode ? { 'data-node': tab } : { 'data-tab': tab })}
              >
                {isNode ? (
                  <>
                    <span className={`${styles.dot} ${styles[`dot-${dot}`]}`} aria-hidden="true" />
                    {tab}
                    {missing && <span className="visually-hidden"> (not in your cluster)</span>}
                  </>
                ) : tab === CLUSTER ? (
                  <>Cluster</>
                ) : (
                  <>
                    Editor
                    {dirty > 0 && (
                      <span className={styles.dirtyCount} aria-label={`(${dirty} unsaved)`}>
                        {dirty}
                      </span>
                    )}
                  </>
                )}
              </button>
            );
          })}
        </div>
        <button type="button" className="btn btn-small" onClick={() => setResetOpen(true)} disabled={connection.kind !== 'connected'}>
          Reset<span className={styles.wideOnly}> cluster</span>
        </button>
      </div>

      <StatusLine snapshot={snapshot} client={client} onReset={() => setResetOpen(true)} clusterState={live ? clusterState : null} />
      <PortBadges ports={live ? (clusterState?.ports ?? []) : []} />

      <div className={styles.panels}>
        {nodes.map((node) => (
          <div key={node} role="tabpanel" id={`wb-panel-${node}`} aria-labelledby={`wb-tab-${node}`} hidden={active !== node} className={styles.panel} {...claimOnAction}>
            {mounted.has(node) && <TerminalView client={client} node={node} visible={active === node} waitingText={missing(node) ? `${node} is not part of your cluster` : waitingText} onHandle={onHandle} onState={onState} />}
          </div>
        ))}
        {files.length > 0 && (
          <div role="tabpanel" id="wb-panel-editor" aria-labelledby="wb-tab-editor" hidden={active !== EDITOR} className={styles.panel} {...claimOnAction}>
            {mounted.has(EDITOR) && <EditorPanel client={client} files={files} live={live} clusterEpoch={clusterEpoch} openPath={openPath} onOpenPath={setOpenPath} onDirtyChange={setDirty} />}
          </div>
        )}
        <div role="tabpanel" id="wb-panel-cluster" aria-labelledby="wb-tab-cluster" hidden={active !== CLUSTER} className={styles.panel}>
          {mounted.has(CLUSTER) && <VisualizerPanel state={live ? clusterState : null} waitingText={live ? 'Reading your cluster…' : waitingText} focus={focus} />}
        </div>
      </div>

      <ResetDialog open={resetOpen} onClose={() => setResetOpen(false)} onConfirm={() => client.resetCluster()} />
    </section>
  );
}

/** Counts how often the cluster became ready: a new epoch means fresh nodes (and files). */
function useClusterEpoch(status: string | undefined): number {
  const [epoch, setEpoch] = useState(0);
  const last = useRef(status);
  useEffect(() => {
    if (status === 'ready' && last.current !== undefined && last.current !== 'ready') setEpoch((e) => e + 1);
    last.current = status;
  }, [status]);
  return epoch;
}
