'use client';
/**
 * Two panes side by side with a draggable, keyboard-operable separator
 * (WAI-ARIA window splitter). Below the breakpoint the panes stack and the
 * separator is hidden by CSS. The ratio is remembered per browser.
 */
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import styles from './SplitPane.module.css';

/** The first pane (lesson text) keeps at least a fifth: the workbench can widen to 80 % for long `docker service ps` lines. */
const MIN = 20;
const MAX = 75;
const clamp = (v: number) => Math.min(MAX, Math.max(MIN, v));

export function SplitPane({ first, second, storageKey, defaultPercent = 46, label }: {
  first: ReactNode;
  second: ReactNode;
  storageKey: string;
  defaultPercent?: number;
  label: string;
}) {
  const [percent, setPercent] = useState(defaultPercent);
  const container = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);

  useEffect(() => {
    const saved = Number(localStorage.getItem(storageKey));
    if (saved >= MIN && saved <= MAX) setPercent(saved);
  }, [storageKey]);

  const commit = useCallback(
    (value: number) => {
      const v = Math.round(clamp(value) * 10) / 10;
      setPercent(v);
      try {
        localStorage.setItem(storageKey, String(v));
      } catch {
        /* not remembered: fine */
      }
    },
    [storageKey],
  );

  function onKeyDown(e: KeyboardEvent) {
    const step = e.shiftKey ? 10 : 2;
    const keys: Record<string, number> = { ArrowLeft: percent - step, ArrowRight: percent + step, Home: MIN, End: MAX };
    const next = keys[e.key];
    if (next === undefined) return;
    e.preventDefault();
    commit(next);
  }

  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    if (e.button !== 0) return;
    dragging.current = true;
    e.currentTarget.setPointerCapture(e.pointerId);
    e.preventDefault();
  }

  function onPointerMove(e: PointerEvent<HTMLDivElement>) {
    if (!dragging.current || !container.current) return;
    const box = container.current.getBoundingClientRect();
    commit(((e.clientX - box.left) / box.width) * 100);
  }

  function onPointerUp(e: PointerEvent<HTMLDivElement>) {
    dragging.current = false;
    e.currentTarget.releasePointerCapture(e.pointerId);
  }

  return (
    <div ref={container} className={styles.split} style={{ ['--split' as string]: `${percent}%` }}>
      <div className={styles.first}>{first}</div>
      <div
        role="separator"
        aria-orientation="vertical"
        aria-label={label}
        aria-valuemin={MIN}
        aria-valuemax={MAX}
        aria-valuenow={Math.round(percent)}
        tabIndex={0}
        className={styles.separator}
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDoubleClick={() => commit(defaultPercent)}
        title="Drag, or use the arrow keys, to resize. Double-click to reset."
      />
      <div className={styles.second}>{second}</div>
    </div>
  );
}
