/**
 * One lab file in the editor, and what happens when the node's copy arrives.
 * The editor is editable from the start (on the lesson's copy); reading the
 * node's copy must never throw away what the learner typed meanwhile.
 */
export interface FileState {
  text: string;
  /** Last text known to be on the nodes, or the lesson's copy until they have been read (to tell unsaved edits). */
  saved: string;
  source: 'original' | 'node';
  busy: 'loading' | 'saving' | null;
  /** Save was pressed before the node's copy was read: save once it has been. */
  saveWanted: boolean;
  /** Bumped when `text` is replaced from outside the editor (loaded from the node). */
  version: number;
  message: { tone: 'ok' | 'error'; text: string } | null;
}

export function initialFileState(original: string): FileState {
  return { text: original, saved: original, source: 'original', busy: null, saveWanted: false, version: 0, message: null };
}

export function isDirty(f: FileState): boolean {
  return f.text !== f.saved;
}

/**
 * The node's copy of `path` has been read.
 * - Nothing typed: the editor shows the node's copy.
 * - Typed, and the node has the copy the learner started from: their edits stay (unsaved,
 *   or saved now if Save was already pressed).
 * - Typed, and the node's copy is different: their text stays, unsaved, with a note; a Save
 *   pressed earlier is not carried out, so the node's copy is only replaced by a deliberate Save.
 */
export function withNodeCopy(cur: FileState, path: string, nodeText: string): FileState {
  const base = { ...cur, saved: nodeText, source: 'node' as const, busy: null };
  if (!isDirty(cur)) return { ...base, text: nodeText, version: cur.version + 1 };
  const conflict = nodeText !== cur.saved;
  if (!conflict) return base;
  return {
    ...base,
    saveWanted: false,
    message: { tone: 'error', text: `Your cluster’s ${path} is not the copy you started from. Your edits are kept, unsaved: Save writes them to every node.` },
  };
}
