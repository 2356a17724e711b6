'use client';
/** A learner's shell, read-only: xterm with stdin disabled, fed by the dashboard socket. */
import '@xterm/xterm/css/xterm.css';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef } from 'react';
import { darkTheme, lightTheme, switchToShippedFont, terminalFontSize, terminalLineHeight } from '../workbench/terminal/theme.ts';
import styles from './workshop.module.css';

export interface WatchSink {
  reset(): void;
  write(data: Uint8Array): void;
}

export function WatchTerminal({ label, onSink }: { label: string; onSink: (sink: WatchSink | null) => void }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    // The learner's own font and cell metrics, so every underscore the learner sees shows here too.
    const term = new Terminal({ disableStdin: true, cols: 100, rows: 20, convertEol: false, theme: dark ? darkTheme : lightTheme, fontSize: terminalFontSize, lineHeight: terminalLineHeight, cursorBlink: false });
    const stopFont = switchToShippedFont(term.options);
    term.open(host.current!);
    // xterm does not paint while scrolled out of view: bring the watched shell on screen.
    host.current!.scrollIntoView({ block: 'nearest' });
    onSink({ reset: () => term.reset(), write: (d) => term.write(d) });
    return () => {
      stopFont();
      onSink(null);
      term.dispose();
    };
  }, [onSink]);
  return <div ref={host} className={styles.watchScreen} aria-label={label} role="log" />;
}
