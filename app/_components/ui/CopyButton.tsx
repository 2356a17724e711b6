'use client';
import { useEffect, useRef, useState } from 'react';
import { copyText } from './clipboard.ts';

/** "Copy" that confirms with "Copied" (announced to screen readers). */
export function CopyButton({ text, label = 'Copy', className = 'btn btn-small' }: { text: string; label?: string; className?: string }) {
  const [status, setStatus] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  async function onClick() {
    const ok = await copyText(text);
    setStatus(ok ? 'copied' : 'failed');
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setStatus('idle'), 1800);
  }

  return (
    <button type="button" className={className} onClick={onClick} aria-label={label}>
      <span aria-hidden="true">{status === 'copied' ? 'Copied' : status === 'failed' ? 'Copy failed' : label}</span>
      <span className="visually-hidden" role="status">
        {status === 'copied' ? 'Copied to the clipboard' : status === 'failed' ? 'Could not copy; select the text and copy it by hand' : ''}
      </span>
    </button>
  );
}
