'use client';
/**
 * The exercise the learner is on (the first of the lesson not passed yet) and the services of the
 * cluster picture it is about, from the server's `checks` verdicts. The picture highlights them
 * until the exercise passes.
 */
import { useEffect, useMemo, useState } from 'react';
import type { CheckResult, ClusterState } from '@contract/protocol.ts';
import { focusedServices } from '@contract/visualizer/layout.ts';
import type { SandboxClient } from '../../../_lib/sandbox/index.ts';
import type { VisualizerFocus } from './VisualizerPanel.tsx';

export function useExerciseFocus(client: SandboxClient, lessonSlug: string, state: ClusterState | null): VisualizerFocus | null {
  const [results, setResults] = useState<CheckResult[]>([]);
  useEffect(() => {
    setResults([]);
    return client.onServerMessage((msg) => {
      if (msg.type === 'checks' && msg.lesson === lessonSlug) setResults(msg.results);
    });
  }, [client, lessonSlug]);

  return useMemo(() => {
    const index = results.findIndex((r) => r.state !== 'passed');
    const current = results[index];
    if (!current?.focus || !state) return null;
    const services = focusedServices(state, current.focus);
    return services.length ? { services, why: `the subject of exercise ${index + 1}, until it passes` } : null;
  }, [results, state]);
}
