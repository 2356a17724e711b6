'use client';
/**
 * The instructor's live dashboard: learners x exercises over the dashboard
 * socket. The private link carries its `key` in the #fragment (browsers never send
 * it: no access log, proxy or Referer sees it); the page trades it once for an
 * HttpOnly cookie and removes it from the address bar, history and screenshots.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { decodeBinary } from '@contract/protocol.ts';
import { classNodes, instructorServerMessage, type Dashboard, type InstructorMessage } from '@contract/workshop.ts';
import { ago, callJson, workshopPaths, wsUrl } from './api.ts';
import { ClassFaultPanel } from './ClassFault.tsx';
import { Broadcast, CatchUpNote, CommonFailures, PrewarmForm } from './DashboardPanels.tsx';
import { JoinCard } from './JoinCard.tsx';
import { WatchTerminal, type WatchSink } from './WatchTerminal.tsx';
import styles from './workshop.module.css';

type Phase = { kind: 'loading' } | { kind: 'forbidden'; message: string } | { kind: 'live' };

export function InstructorDashboard({ id }: { id: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [data, setData] = useState<Dashboard | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [watching, setWatching] = useState<{ learnerId: string; name: string; node: string } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [card, setCard] = useState(false);
  const ws = useRef<WebSocket | null>(null);
  const sink = useRef<WatchSink | null>(null);
  // Output that arrives before the terminal is on screen (xterm cannot measure itself while hidden).
  const pending = useRef<Uint8Array[]>([]);
  const onSink = useCallback((s: WatchSink | null) => {
    sink.current = s;
    if (s) for (const chunk of pending.current.splice(0)) s.write(chunk);
  }, []);

  useEffect(() => {
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      const socket = new WebSocket(wsUrl(workshopPaths.ws(id)));
      socket.binaryType = 'arraybuffer';
      ws.current = socket;
      socket.onmessage = (ev) => {
        if (typeof ev.data !== 'string') {
          const frame = decodeBinary(new Uint8Array(ev.data as ArrayBuffer));
          if (frame && sink.current) sink.current.write(frame.payload);
          else if (frame) pending.current.push(frame.payload.slice());
          return;
        }
        const parsed = instructorServerMessage.safeParse(JSON.parse(ev.data as string));
        if (!parsed.success) return;
        const msg = parsed.data;
        if (msg.type === 'dashboard') setData(msg.dashboard);
        else if (msg.type === 'watching') {
          pending.current = [];
          sink.current?.reset();
          setWatching({ learnerId: msg.learnerId, name: msg.name, node: msg.node });
        } else if (msg.type === 'unwatched') {
          pending.current = [];
          setWatching(null);
          setNotice(msg.reason);
        } else setNotice(msg.type === 'error' ? `Error: ${msg.message}` : msg.text);
      };
      socket.onclose = () => {
        if (!stopped) retry = setTimeout(connect, 2000);
      };
    };
    (async () => {
      const key = new URLSearchParams(location.hash.slice(1)).get('key');
      if (key) {
        history.replaceState(null, '', location.pathname + location.search);
        await callJson(workshopPaths.auth(id), { method: 'POST', body: { key } }).catch(() => undefined);
      }
      try {
        setData(await callJson<Dashboard>(workshopPaths.dashboard(id)));
      } catch (err) {
        setPhase({ kind: 'forbidden', message: (err as Error).message });
        return;
      }
      setPhase({ kind: 'live' });
      if (!stopped) connect();
    })();
    const clock = setInterval(() => setNow(Date.now()), 5000);
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(clock);
      ws.current?.close();
    };
  }, [id]);

  const send = (msg: InstructorMessage) => ws.current?.readyState === WebSocket.OPEN && ws.current.send(JSON.stringify(msg));

  if (phase.kind === 'forbidden') {
    return (
      <main id="main" className={styles.narrow}>
        <h1>Not allowed (403)</h1>
        <p className={styles.error} role="alert">
          {phase.message}
        </p>
      </main>
    );
  }
  if (!data) return <main id="main" className={styles.page}>Loading the dashboard…</main>;
  const w = data.workshop;
  const ended = w.endedAt !== null;

  return (
    <main id="main" className={styles.page}>
      <div className={styles.toolbar}>
        <div>
          <h1>{w.title}</h1>
          <p className={styles.muted}>
            {ended ? 'Ended' : 'Join code'} <span className={styles.code} data-testid="join-code">{w.joinCode}</span> · {data.learners.length} of {w.capacity} joined ·
            ends {new Date(w.endsAt).toLocaleTimeString()}
          </p>
          {!ended && <p className={styles.muted}>Join link: <code>{`${typeof location === 'undefined' ? '' : location.origin}/join/${w.joinCode}`}</code></p>}
          {!ended && (
            <p className={styles.muted} data-testid="host-capacity">
              This server serves {data.host.learners} learners at once (bound by {data.host.why}).
            </p>
          )}
          {!ended && data.host.warning && (
            <p className={styles.warning} role="alert" data-testid="capacity-warning">
              {data.host.warning}
            </p>
          )}
        </div>
        <div className={styles.form}>
          {!ended && (
            <button className="btn" aria-expanded={card} onClick={() => setCard(!card)}>
              Join card with QR code
            </button>
          )}
          <a className="btn" href={workshopPaths.csv(w.id)} download>
            Export progress (CSV)
          </a>
          {!ended && <PrewarmForm id={w.id} workshop={w} pool={data.pool} onDone={setNotice} />}
          {!ended && (
            <button
              className="btn btn-danger"
              onClick={() => {
                if (!confirm('End the workshop? Every learner cluster is removed.')) return;
                callJson(workshopPaths.end(w.id), { method: 'POST' }).then(() => setNotice('Workshop ended: every learner cluster was removed.'), (e: Error) => setNotice(e.message));
              }}
            >
              End workshop
            </button>
          )}
        </div>
      </div>
      {notice && (
        <p className={styles.card} role="status">
          {notice}
        </p>
      )}
      {card && !ended && <JoinCard title={w.title} code={w.joinCode} />}
      {!ended && <Broadcast lessons={w.lessons} send={send} />}
      {!ended && <ClassFaultPanel learners={data.learners} send={send} disabled={data.learners.length === 0} />}

      <div className={styles.gridWrap}>
        <table className={styles.grid} aria-label="Learners and exercises">
          <thead>
            <tr>
              <th scope="col">Learner</th>
              <th scope="col">Lesson</th>
              <th scope="col">Last pass</th>
              {data.exercises.map((e) => (
                <th scope="col" key={e.key} className={styles.cell} title={e.key} data-exercise={e.key}>
                  {e.exerciseId}
                  <br />
                  <span className={styles.muted} data-passed-count>
                    {e.passed}/{data.learners.length}
                  </span>
                </th>
              ))}
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.learners.length === 0 && (
              <tr>
                <td colSpan={data.exercises.length + 4} className={styles.muted}>
                  No one has joined yet.
                </td>
              </tr>
            )}
            {data.learners.map((l) => {
              const passed = new Set(l.passed);
              return (
                <tr key={l.id} data-learner={l.name}>
                  <th scope="row">
                    <span className={styles.dot} data-health={l.health} title={l.healthNote ?? l.health} aria-label={`cluster ${l.health}`} />
                    {l.name}
                    {!l.online && <span className={styles.muted}> (offline)</span>}
                    {l.stuck && <span className={styles.badge}>stuck?</span>}
                  </th>
                  <td>
                    {l.lesson ?? '—'}
                    {l.catchUp && <CatchUpNote c={l.catchUp} />}
                  </td>
                  <td>{ago(l.lastProgressAt, now)}</td>
                  {data.exercises.map((e) => (
                    <td
                      key={e.key}
                      className={styles.cell}
                      data-exercise={e.key}
                      data-state={passed.has(e.key) ? 'passed' : 'pending'}
                      title={l.working?.key === e.key ? `working on it: ${l.working.message}` : undefined}
                    >
                      {l.working?.key === e.key && !passed.has(e.key) ? '…' : ''}
                      {passed.has(e.key) ? '✓' : ''}
                      <span className="visually-hidden">{passed.has(e.key) ? 'passed' : 'not yet'}</span>
                    </td>
                  ))}
                  <td>
                    <span className={styles.actions}>
                      <button className="btn btn-small" disabled={ended || l.health !== 'ready'} onClick={() => send({ type: 'watch', learnerId: l.id, node: 'manager' })}>
                        Watch
                      </button>
                      <button
                        className="btn btn-small"
                        disabled={ended || l.health === 'gone'}
                        onClick={() => confirm(`Reset ${l.name}'s cluster? Their work on it is lost.`) && send({ type: 'reset', learnerId: l.id })}
                      >
                        Reset
                      </button>
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <CommonFailures exercises={data.exercises} />

      {watching && (
        <section className={styles.watch} aria-label="Watched terminal">
          <div className={styles.inline}>
            <h2 style={{ margin: 0 }}>
              {watching.name} · {watching.node} (read-only)
            </h2>
            {(data.learners.find((l) => l.id === watching.learnerId)?.nodes ?? classNodes(data.learners)).map((node) => (
              <button key={node} className="btn btn-small" onClick={() => send({ type: 'watch', learnerId: watching.learnerId, node })}>
                {node}
              </button>
            ))}
            <button className="btn btn-small" onClick={() => send({ type: 'unwatch' })}>
              Stop watching
            </button>
          </div>
          <WatchTerminal label="Watched learner terminal" onSink={onSink} />
        </section>
      )}
    </main>
  );
}
