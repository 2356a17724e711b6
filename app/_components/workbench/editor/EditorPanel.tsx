'use client';
/**
 * The lesson's lab files: read from the manager node, edited in Monaco,
 * saved to every node. The editor is editable as soon as it is on screen:
 * until the node's copy has been read it holds the lesson's copy, and when
 * the node's copy arrives it replaces the text only if the learner has not
 * typed (their edits are kept, unsaved, otherwise). A Save pressed before
 * the cluster is ready is carried out once the node's copy has been read.
 */
import dynamic from 'next/dynamic';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { LabFileView } from '../../../_lib/content/lessons.ts';
import type { SandboxClient } from '../../../_lib/sandbox/index.ts';
import { usePrefersDark } from '../useSandbox.ts';
import { initialFileState, isDirty, withNodeCopy, type FileState } from './file-state.ts';
import styles from './editor.module.css';

const MonacoEditor = dynamic(() => import('./MonacoEditor.tsx'), {
  ssr: false,
  loading: () => <p className={styles.loading}>Loading the editor…</p>,
});

interface Props {
  client: SandboxClient;
  files: LabFileView[];
  /** Connected and the cluster is ready: files can be read and written. */
  live: boolean;
  /** Bumped each time the cluster becomes ready (first start, after a reset), not on reconnects. */
  clusterEpoch: number;
  openPath: string;
  onOpenPath: (path: string) => void;
  onDirtyChange: (dirty: number) => void;
}

export function EditorPanel({ client, files, live, clusterEpoch, openPath, onOpenPath, onDirtyChange }: Props) {
  const dark = usePrefersDark();
  const baseId = useId();
  const [state, setState] = useState<Record<string, FileState>>(() =>
    Object.fromEntries(files.map((f) => [f.path, initialFileState(f.original ?? '')])),
  );
  const stateRef = useRef(state);
  stateRef.current = state;
  const tabRefs = useRef(new Map<string, HTMLButtonElement>());

  const patch = useCallback((path: string, p: Partial<FileState>) => {
    setState((s) => ({ ...s, [path]: { ...s[path]!, ...p } }));
  }, []);

  // Read the files from the node once per cluster (first start, after a reset), not on
  // every reconnect. Edits made meanwhile (on the lesson's copy, or unsaved ones from
  // before a reset) are kept and stay dirty against the node's text.
  const loadedEpoch = useRef(-1);
  useEffect(() => {
    if (!live || loadedEpoch.current === clusterEpoch) return;
    loadedEpoch.current = clusterEpoch;
    for (const f of files) {
      patch(f.path, { busy: 'loading', message: null });
      client.http.readFile(f.path).then(
        (text) => setState((s) => ({ ...s, [f.path]: withNodeCopy(s[f.path]!, f.path, text) })),
        (err: Error) => {
          loadedEpoch.current = -1; // try again on the next chance
          patch(f.path, { busy: null, saveWanted: false, message: { tone: 'error', text: `Could not read the file from the manager: ${err.message}` } });
        },
      );
    }
  }, [live, clusterEpoch, files, client, patch]);

  const dirtyCount = useMemo(() => Object.values(state).filter(isDirty).length, [state]);
  useEffect(() => onDirtyChange(dirtyCount), [dirtyCount, onDirtyChange]);
  useEffect(() => {
    if (!dirtyCount) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirtyCount]);

  const save = useCallback(
    async (path: string, fromEditor?: string) => {
      const f = stateRef.current[path];
      if (!f || f.busy === 'saving') return;
      const text = fromEditor ?? f.text;
      if (f.source !== 'node' || f.busy === 'loading') {
        // Not read from this cluster yet (starting, or reading): save once it has been.
        patch(path, { text, saveWanted: true, message: null });
        return;
      }
      patch(path, { text, busy: 'saving', saveWanted: false, message: null });
      try {
        await client.http.writeFile(path, text);
        patch(path, { busy: null, saved: text, message: { tone: 'ok', text: `Saved ${path} to every node.` } });
      } catch (err) {
        patch(path, { busy: null, message: { tone: 'error', text: `Not saved: ${(err as Error).message}` } });
      }
    },
    [client, patch],
  );

  // A Save pressed early goes out once the node's copy has been read.
  useEffect(() => {
    for (const [path, f] of Object.entries(state)) if (f.saveWanted && f.source === 'node' && !f.busy) void save(path);
  }, [state, save]);

  const current = state[openPath] ?? state[files[0]?.path ?? ''];
  const currentPath = state[openPath] ? openPath : (files[0]?.path ?? '');

  function onTabKey(e: KeyboardEvent) {
    const i = files.findIndex((f) => f.path === currentPath);
    const moves: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: files.length - 1 };
    let next = moves[e.key];
    if (next === undefined) return;
    e.preventDefault();
    next = (next + files.length) % files.length;
    const path = files[next]!.path;
    onOpenPath(path);
    tabRefs.current.get(path)?.focus();
  }

  if (!current) return <p className={styles.loading}>This lesson has no files to edit.</p>;
  const dirty = isDirty(current);
  const panelId = `${baseId}-file`;

  return (
    <div
      className={styles.panel}
      onKeyDown={(e) => {
        // Ctrl+S anywhere in the panel saves instead of opening the browser's "Save page".
        if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
          e.preventDefault();
          void save(currentPath);
        }
      }}
    >
      <div className={styles.bar}>
        <div role="tablist" aria-label="Lab files" className={styles.files} onKeyDown={onTabKey}>
          {files.map((f) => {
            const s = state[f.path]!;
            const selected = f.path === currentPath;
            const fileDirty = isDirty(s);
            return (
              <button
                key={f.path}
                ref={(el) => {
                  if (el) tabRefs.current.set(f.path, el);
                  else tabRefs.current.delete(f.path);
                }}
                type="button"
                role="tab"
                id={`${baseId}-tab-${f.path}`}
                aria-selected={selected}
                aria-controls={panelId}
                tabIndex={selected ? 0 : -1}
                className={styles.file}
                data-file={f.path}
                onClick={() => onOpenPath(f.path)}
              >
                {f.path}
                {fileDirty && (
                  <span className={styles.dirty} aria-label="(unsaved changes)">
                    ●
                  </span>
                )}
              </button>
            );
          })}
        </div>
        <button
          type="button"
          className="btn btn-small btn-primary"
          onClick={() => void save(currentPath)}
          disabled={!dirty || current.busy === 'saving' || current.saveWanted}
          title="Save to every node (Ctrl+S)"
        >
          {current.busy === 'saving' || current.saveWanted ? 'Saving…' : 'Save'}
        </button>
      </div>
      <div className={styles.info} role="status" aria-live="polite">
        {current.message ? (
          <span className={current.message.tone === 'error' ? styles.error : styles.ok}>{current.message.text}</span>
        ) : current.saveWanted ? (
          'Saving to every node as soon as your cluster is ready…'
        ) : current.busy === 'loading' ? (
          'Reading the file from your cluster… (you can already edit)'
        ) : current.source === 'original' ? (
          'The lesson’s copy, ready to edit: saving works once your cluster is ready.'
        ) : (
          <span>
            <code>/lab/{currentPath}</code> on every node · Ctrl+S saves
          </span>
        )}
      </div>
      <div className={styles.editor} role="tabpanel" id={panelId} aria-labelledby={`${baseId}-tab-${currentPath}`}>
        <MonacoEditor
          path={currentPath}
          value={current.text}
          version={current.version}
          dark={dark}
          onChange={(text) => patch(currentPath, { text, message: null })}
          onSave={(text) => void save(currentPath, text)}
        />
      </div>
    </div>
  );
}
