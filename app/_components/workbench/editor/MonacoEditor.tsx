'use client';
/** The Monaco part of the editor panel; loaded lazily (it is most of the bundle). */
import Editor, { type OnMount } from '@monaco-editor/react';
import { useEffect, useRef } from 'react';
import { monaco } from './monaco-setup.ts';
import { languageFor } from './languages.ts';
import { terminalFont } from '../terminal/theme.ts';

interface Props {
  path: string;
  /** The file's text; applied to the editor only when `version` changes (typing owns it otherwise). */
  value: string;
  version: number;
  dark: boolean;
  onChange: (value: string) => void;
  /** Ctrl+S: gets the editor's text itself, which may be ahead of React state. */
  onSave: (text: string) => void;
}

export default function MonacoEditor({ path, value, version, dark, onChange, onSave }: Props) {
  const save = useRef(onSave);
  save.current = onSave;
  const uri = `file:///lab/${path}`;
  // Uncontrolled on purpose: feeding every keystroke back as a prop races with fast
  // typing and scrambles text. Only loads from the node replace the model's text.
  const applied = useRef(new Map<string, number>());
  useEffect(() => {
    const model = monaco.editor.getModel(monaco.Uri.parse(uri));
    if (!model || applied.current.get(uri) === version) return;
    applied.current.set(uri, version);
    if (model.getValue() !== value) model.setValue(value);
  });

  const onMount: OnMount = (editor) => {
    applied.current.set(uri, version);
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => save.current(editor.getValue()));
  };

  return (
    <Editor
      path={uri}
      language={languageFor(path)}
      defaultValue={value}
      theme={dark ? 'vs-dark' : 'vs'}
      onChange={(v) => onChange(v ?? '')}
      onMount={onMount}
      loading={<p style={{ padding: 12 }}>Loading the editor…</p>}
      options={{
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
