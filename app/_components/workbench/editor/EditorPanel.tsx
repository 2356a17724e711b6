'use client';
/**
 * The lesson's lab files: read from the manager node, edited in Monaco,
 * saved to every node. Until the cluster is ready it shows the lesson's
 * original files read-only, so the learner can still read them.
 */
import dynamic from 'next/dynamic';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { LabFileView } from '../../../_lib/content/lessons';
import type { SandboxClient } from '../../../_lib/sandbox';
import { usePrefersDark } from '../useSandbox';
import styles from './editor.module.css';

const MonacoEditor = dynamic(() => import('./MonacoEditor'), {
  ssr: false,
  loading: () => <p className={styles.loading}>Loading the editor…</p>,
});

interface FileState {
  text: string;
  /** Last text known to be on the nodes (to tell unsaved edits). */
  saved: string;
  source: 'original' | 'node';
  busy: 'loading' | 'saving' | null;
  /** Bumped when `text` is replaced from outside the editor (loaded from the node). */
  version: number;
  message: { tone: 'ok' | 'error'; text: string } | null;
}

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
    Object.fromEntries(files.map((f) => [f.path, { text: f.original ?? '', saved: f.original ?? '', source: 'original', busy: null, version: 0, message: null }])),
  );
  const stateRef = useRef(state);
  stateRef.current = state;
  const tabRefs = useRef(new Map<string, HTMLButtonElement>());

  const patch = useCallback((path: string, p: Partial<FileState>) => {
    setState((s) => ({ ...s, [path]: { ...s[path]!, ...p } }));
  }, []);

  // Read the files from the node once per cluster (first start, after a reset), not on
  // every reconnect. Unsaved edits survive: they stay dirty against the node's text.
  const loadedEpoch = useRef(-1);
  useEffect(() => {
    if (!live || loadedEpoch.current === clusterEpoch) return;
    loadedEpoch.current = clusterEpoch;
    for (const f of files) {
      patch(f.path, { busy: 'loading', message: null });
      client.http.readFile(f.path).then(
        (text) =>
          setState((s) => {
            const cur = s[f.path]!;
            const dirty = cur.source === 'node' && cur.text !== cur.saved;
            return { ...s, [f.path]: { ...cur, text: dirty ? cur.text : text, saved: text, source: 'node', busy: null, version: cur.version + 1 } };
          }),
        (err: Error) => {
          loadedEpoch.current = -1; // try again on the next chance
          patch(f.path, { busy: null, message: { tone: 'error', text: `Could not read the file from the manager: ${err.message}` } });
        },
      );
    }
  }, [live, clusterEpoch, files, client, patch]);

  const dirtyCount = useMemo(() => Object.values(state).filter((f) => f.source === 'node' && f.text !== f.saved).length, [state]);
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
      if (!f || f.source !== 'node' || f.busy) return;
      const text = fromEditor ?? f.text;
      patch(path, { text, busy: 'saving', message: null });
      try {
        await client.http.writeFile(path, text);
        patch(path, { busy: null, saved: text, message: { tone: 'ok', text: `Saved ${path} to every node.` } });
      } catch (err) {
        patch(path, { busy: null, message: { tone: 'error', text: `Not saved: ${(err as Error).message}` } });
      }
    },
    [client, patch],
  );

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
  const dirty = current.source === 'node' && current.text !== current.saved;
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
            const isDirty = s.source === 'node' && s.text !== s.saved;
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
                {isDirty && (
                  <span className={styles.dirty} aria-label="(unsaved changes)">
                    ●
                  </span>
                )}
              </button>
            );
          })}
        </div>
        <button type="button" className="btn btn-small btn-primary" onClick={() => void save(currentPath)} disabled={!dirty || current.busy !== null} title="Save to every node (Ctrl+S)">
          {current.busy === 'saving' ? 'Saving…' : 'Save'}
        </button>
      </div>
      <div className={styles.info} role="status" aria-live="polite">
        {current.message ? (
          <span className={current.message.tone === 'error' ? styles.error : styles.ok}>{current.message.text}</span>
        ) : current.busy === 'loading' ? (
          'Reading the file from the manager…'
        ) : current.source === 'original' ? (
          'The lesson’s original file, read-only until your cluster is ready.'
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
          readOnly={current.source !== 'node' || current.busy === 'saving'}
          dark={dark}
          onChange={(text) => patch(currentPath, { text, message: null })}
          onSave={(text) => void save(currentPath, text)}
        />
      </div>
    </div>
  );
}
