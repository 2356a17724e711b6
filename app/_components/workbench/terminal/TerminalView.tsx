'use client';
/**
 * An xterm.js terminal for one node, attached through the sandbox client's
 * TerminalHandle. The only file that knows xterm; the client only sees a
 * TerminalSink.
 */
import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { binaryStringToBytes, type NodeName, type SandboxClient, type TerminalHandle, type TerminalSink, type TerminalState } from '../../../_lib/sandbox/index.ts';
import { copyText, readClipboard } from '../../ui/clipboard.ts';
import { usePrefersDark } from '../useSandbox.ts';
import { terminalKeyAction } from './keys.ts';
import { TerminalFind } from './TerminalFind.tsx';
import { darkTheme, lightTheme, switchToShippedFont, terminalFontSize, terminalLineHeight } from './theme.ts';
import styles from './terminal.module.css';

interface Props {
  client: SandboxClient;
  node: NodeName;
  visible: boolean;
  /** What the terminal is waiting for, shown while it is not attached. */
  waitingText: string;
  /** Registered while mounted, so Run buttons can type into this terminal. */
  onHandle: (node: NodeName, handle: TerminalHandle | null) => void;
  onState: (node: NodeName, state: TerminalState) => void;
}

export function TerminalView({ client, node, visible, waitingText, onHandle, onState }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);
  const [search, setSearch] = useState<SearchAddon | null>(null);
  const [findOpen, setFindOpen] = useState(false);
  const [state, setState] = useState<TerminalState>('waiting');
  const [srMode, setSrMode] = useState(false);
  const dark = usePrefersDark();
  // Latest callbacks without re-running the mount effect.
  const callbacks = useRef({ onHandle, onState });
  callbacks.current = { onHandle, onState };

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xterm = new Terminal({
      fontSize: terminalFontSize,
      lineHeight: terminalLineHeight,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: true, // search result decorations
      macOptionIsMeta: true,
      theme: window.matchMedia('(prefers-color-scheme: dark)').matches ? darkTheme : lightTheme,
    });
    const fitAddon = new FitAddon();
    const searchAddon = new SearchAddon();
    xterm.loadAddon(fitAddon);
    xterm.loadAddon(searchAddon);
    xterm.loadAddon(new WebLinksAddon((event, uri) => window.open(uri, '_blank', 'noopener,noreferrer')));
    const stopFont = switchToShippedFont(xterm.options, () => safeFit(fitAddon, el));
    xterm.open(el);
    safeFit(fitAddon, el);
    term.current = xterm;
    fit.current = fitAddon;
    setSearch(searchAddon);

    const sink: TerminalSink = {
      write: (data, rendered) => xterm.write(data, rendered),
      notice: (text) => xterm.write(`\r\n\x1b[2m${text}\x1b[22m\r\n`),
      // RIS goes through the write queue, so it lands after output already queued.
      clear: () => xterm.write('\x1bc'),
    };
    const handle = client.openTerminal({ node, cols: xterm.cols, rows: xterm.rows, sink });
    const subs = [
      xterm.onData((d) => handle.input(d)),
      xterm.onBinary((d) => handle.input(binaryStringToBytes(d))),
      xterm.onResize(({ cols, rows }) => handle.resize(cols, rows)),
    ];
    xterm.attachCustomKeyEventHandler((e) => {
      const action = terminalKeyAction(e, xterm.hasSelection());
      if (action === 'copy') {
        e.preventDefault();
        void copyText(xterm.getSelection());
        xterm.clearSelection();
        return false;
      }
      if (action === 'find') {
        e.preventDefault();
        setFindOpen(true);
        return false;
      }
      // 'paste': let the browser fire its paste event, which xterm handles.
      return action !== 'paste';
    });
    const offState = handle.onStateChange((s) => {
      setState(s);
      callbacks.current.onState(node, s);
    });
    setState(handle.getState());
    callbacks.current.onState(node, handle.getState());
    callbacks.current.onHandle(node, handle);

    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => safeFit(fitAddon, el));
    });
    observer.observe(el);

    return () => {
      stopFont();
      observer.disconnect();
      cancelAnimationFrame(frame);
      offState();
      subs.forEach((s) => s.dispose());
      callbacks.current.onHandle(node, null);
      handle.close();
      xterm.dispose();
      term.current = null;
      fit.current = null;
    };
  }, [client, node]);

  useEffect(() => {
    if (term.current) term.current.options.theme = dark ? darkTheme : lightTheme;
  }, [dark]);

  useEffect(() => {
    if (term.current) term.current.options.screenReaderMode = srMode;
  }, [srMode]);

  useEffect(() => {
    if (visible && fit.current && host.current) safeFit(fit.current, host.current);
  }, [visible]);

  async function paste() {
    const text = await readClipboard();
    if (text) term.current?.paste(text);
    else term.current?.write('\r\n\x1b[2m[the browser did not allow reading the clipboard: press Ctrl+V or Ctrl+Shift+V in the terminal]\x1b[22m\r\n');
    term.current?.focus();
  }

  const overlay = state === 'waiting' ? waitingText : state === 'opening' ? `Attaching to ${node}…` : null;

  return (
    <div className={styles.wrap}>
      <div className={styles.toolbar}>
        <button type="button" className="btn btn-small btn-quiet" aria-pressed={findOpen} onClick={() => setFindOpen((v) => !v)} title="Find (Ctrl+Shift+F)">
          Find
        </button>
        <button
          type="button"
          className="btn btn-small btn-quiet"
          onClick={() => {
            const text = term.current?.getSelection() ?? '';
            if (text) void copyText(text);
            term.current?.focus();
          }}
          title="Copy the selection (Ctrl+Shift+C)"
        >
          Copy selection
        </button>
        <button type="button" className="btn btn-small btn-quiet" onClick={paste} title="Paste (Ctrl+Shift+V)">
          Paste
        </button>
        <button type="button" className="btn btn-small btn-quiet" aria-pressed={srMode} onClick={() => setSrMode((v) => !v)} title="Make terminal output readable by screen readers">
          Screen reader mode
        </button>
      </div>
      {findOpen && search && (
        <TerminalFind
          search={search}
          onClose={() => {
            setFindOpen(false);
            term.current?.focus();
          }}
        />
      )}
      <div className={styles.screen}>
        <div ref={host} className={styles.xterm} role="group" aria-label={`Terminal on ${node}`} />
        {overlay && (
          <div className={styles.overlay} aria-hidden="true">
            <span className={styles.spinner} />
            {overlay}
          </div>
        )}
      </div>
    </div>
  );
}

/** FitAddon throws or proposes nonsense while the element is hidden. */
function safeFit(fit: FitAddon, el: HTMLElement): void {
  if (el.offsetWidth < 20 || el.offsetHeight < 20) return;
  try {
    fit.fit();
  } catch {
    /* not measurable yet */
  }
}
