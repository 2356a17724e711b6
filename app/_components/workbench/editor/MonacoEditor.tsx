'use client';
/** The Monaco part of the editor panel; loaded lazily (it is most of the bundle). */
import Editor, { type OnMount } from '@monaco-editor/react';
import { useRef } from 'react';
import { monaco } from './monaco-setup';
import { languageFor } from './languages';
import { terminalFont } from '../terminal/theme';

interface Props {
  path: string;
  value: string;
  readOnly: boolean;
  dark: boolean;
  onChange: (value: string) => void;
  onSave: () => void;
}

export default function MonacoEditor({ path, value, readOnly, dark, onChange, onSave }: Props) {
  const save = useRef(onSave);
  save.current = onSave;

  const onMount: OnMount = (editor) => {
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => save.current());
  };

  return (
    <Editor
      path={`file:///lab/${path}`}
      language={languageFor(path)}
      value={value}
      theme={dark ? 'vs-dark' : 'vs'}
      onChange={(v) => onChange(v ?? '')}
      onMount={onMount}
      loading={<p style={{ padding: 12 }}>Loading the editor…</p>}
      options={{
        readOnly,
        readOnlyMessage: { value: 'This is the lesson’s original file: it becomes editable once your cluster is ready.' },
        minimap: { enabled: false },
        fontFamily: terminalFont,
        fontSize: 13.5,
        tabSize: 2,
        scrollBeyondLastLine: false,
        automaticLayout: true,
        renderWhitespace: 'selection',
        ariaLabel: `Editor: ${path}. Press Ctrl+M to make Tab move the focus.`,
        padding: { top: 8 },
      }}
    />
  );
}
