'use client';
import type { ISearchOptions, SearchAddon } from '@xterm/addon-search';
import { useEffect, useRef, useState } from 'react';
import styles from './terminal.module.css';

const decorations: ISearchOptions['decorations'] = {
  matchBackground: '#f2cc60',
  activeMatchBackground: '#ff9632',
  matchOverviewRuler: '#f2cc60',
  activeMatchColorOverviewRuler: '#ff9632',
};

/** Find bar for the terminal's scrollback (xterm search addon). */
export function TerminalFind({ search, onClose }: { search: SearchAddon; onClose: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ index: number; count: number } | null>(null);

  useEffect(() => {
    input.current?.focus();
    const sub = search.onDidChangeResults((r) => setResults({ index: r.resultIndex, count: r.resultCount }));
    return () => {
      sub.dispose();
      search.clearDecorations();
    };
  }, [search]);

  const find = (backwards = false, q = query) => {
    if (!q) {
      search.clearDecorations();
      setResults(null);
      return;
    }
    const opts: ISearchOptions = { decorations, incremental: !backwards };
    if (backwards) search.findPrevious(q, opts);
    else search.findNext(q, opts);
  };

  return (
    <div className={styles.find} role="search">
      <label className="visually-hidden" htmlFor="terminal-find">
        Find in terminal
      </label>
      <input
        id="terminal-find"
        ref={input}
        type="search"
        placeholder="Find in terminal"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          find(false, e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            find(e.shiftKey);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            onClose();
          }
        }}
      />
      <span className={styles.findCount} aria-live="polite">
        {query && results ? (results.count === 0 ? 'No results' : `${results.index + 1} of ${results.count}`) : ''}
      </span>
      <button type="button" className="btn btn-small" onClick={() => find(true)} aria-label="Previous match">
        ↑
      </button>
      <button type="button" className="btn btn-small" onClick={() => find(false)} aria-label="Next match">
        ↓
      </button>
      <button type="button" className="btn btn-small btn-quiet" onClick={onClose} aria-label="Close find">
        ✕
      </button>
    </div>
  );
}
