'use client';
/**
 * Live exercise checks for the lesson on screen: tells the server which lesson
 * this page shows (again after every reconnect), feeds its verdicts into the
 * bridge (so each exercise block shows its state and message by itself), and
 * sends the exercise blocks' Check and Apply solution requests.
 */
import { useEffect, useRef } from 'react';
import type { ClientMessage } from '@contract/protocol.ts';
import type { WorkbenchBridge } from '../../_lib/bridge.tsx';
import { progress } from '../../_lib/progress.ts';
import type { SandboxClient, SandboxSnapshot } from '../../_lib/sandbox/index.ts';

export function useExerciseChecks(client: SandboxClient, bridge: WorkbenchBridge, lessonSlug: string, connection: SandboxSnapshot['connection']['kind']): void {
  // Check / Apply pressed while (re)connecting: sent as soon as the socket is open.
  const waiting = useRef<ClientMessage[]>([]);

  useEffect(() => {
    if (connection !== 'connected') return;
    client.sendMessage({ type: 'watch', lesson: lessonSlug });
    const queued = waiting.current;
    waiting.current = [];
    for (const m of queued) client.sendMessage(m);
    return () => void client.sendMessage({ type: 'watch', lesson: null });
  }, [client, lessonSlug, connection]);

  useEffect(
    () =>
      client.onServerMessage((msg) => {
        if (msg.type === 'checks' && msg.lesson === lessonSlug) {
          for (const r of msg.results) {
            bridge.setExerciseState(r.exerciseId, { state: r.state, message: r.message, hostNote: r.hostNote });
            progress.recordExercise(lessonSlug, r.exerciseId, r.state === 'passed', msg.results.length);
          }
        } else if (msg.type === 'applied' && msg.lesson === lessonSlug) {
          bridge.setApplyResult(msg.exerciseId, { running: false, ok: msg.ok, steps: msg.steps });
        } else if (msg.type === 'error' && (msg.code === 'unknown_exercise' || msg.code === 'unknown_lesson' || msg.code === 'not_ready')) {
          bridge.clearRunningApplies(msg.message);
        }
      }),
    [client, bridge, lessonSlug],
  );

  useEffect(() => {
    const send = (m: ClientMessage) => {
      if (!client.sendMessage(m)) waiting.current.push(m);
    };
    return bridge.connectChecks({
      check: (exerciseId) => send({ type: 'check', lesson: lessonSlug, exerciseId }),
      apply: (exerciseId) => send({ type: 'apply', lesson: lessonSlug, exerciseId }),
    });
  }, [client, bridge, lessonSlug]);
}
