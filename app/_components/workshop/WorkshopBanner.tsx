'use client';
/**
 * What a workshop learner hears from the instructor, on every page: messages,
 * "your instructor is watching", "go to lesson N". Also reports the lesson on
 * screen to the dashboard. Renders nothing for learners outside a workshop.
 */
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { learnerWorkshopServerMessage, workshopCloseCodes, workshopPaths } from '@contract/workshop.ts';
import { wsUrl } from './api.ts';
import styles from './workshop.module.css';

export function WorkshopBanner() {
  const pathname = usePathname();
  const router = useRouter();
  const [title, setTitle] = useState<string | null>(null);
  const [watched, setWatched] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const ws = useRef<WebSocket | null>(null);
  const lesson = /^\/lessons\/([a-z0-9-]+)/.exec(pathname ?? '')?.[1] ?? null;
  const lessonRef = useRef(lesson);
  lessonRef.current = lesson;

  useEffect(() => {
    // The join page sets the session cookie; the dashboard and the home page have nothing to report.
    if (pathname?.startsWith('/workshops/') || pathname?.startsWith('/join/')) return;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      const socket = new WebSocket(wsUrl(workshopPaths.learnerWs));
      ws.current = socket;
      socket.onopen = () => socket.send(JSON.stringify({ type: 'lesson', lesson: lessonRef.current }));
      socket.onmessage = (ev) => {
        const parsed = learnerWorkshopServerMessage.safeParse(JSON.parse(String(ev.data)));
        if (!parsed.success) return;
        const msg = parsed.data;
        if (msg.type === 'workshop') setTitle(msg.title);
        else if (msg.type === 'watched') setWatched(msg.watching);
        else if (msg.type === 'notice') setNotice(msg.text);
        else if (msg.type === 'goto') {
          if (msg.catchingUp) setNotice('Your instructor moved everyone on: the solutions of the exercises you had not done yet are being applied on your cluster. They turn green in a moment.');
          router.push(`/lessons/${msg.lesson}`);
        }
        else if (msg.type === 'ended') {
          setWatched(false);
          setNotice('The workshop has ended. Thank you for taking part!');
        }
      };
      socket.onclose = (ev) => {
        ws.current = null;
        // Not in a workshop (or it ended): nothing to come back for.
        if (stopped || ev.code === workshopCloseCodes.forbidden || ev.code === workshopCloseCodes.ended) return;
        retry = setTimeout(connect, 3000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      ws.current?.close();
    };
    // One socket per page load (router and pathname are read through refs); lesson changes are sent below.
  }, []);

  useEffect(() => {
    if (ws.current?.readyState === WebSocket.OPEN) ws.current.send(JSON.stringify({ type: 'lesson', lesson }));
  }, [lesson]);

  if (!title) return null;
  return (
    <div className={styles.toasts}>
      {watched && (
        <p className={`${styles.toast} ${styles.watched}`} role="status">
          Your instructor is watching your terminal.
        </p>
      )}
      {notice && (
        <div className={styles.toast} role="alert">
          <span>
            <strong>Instructor:</strong> {notice}
          </span>
          <button className="btn btn-small btn-quiet" onClick={() => setNotice(null)} aria-label="Dismiss the message">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
