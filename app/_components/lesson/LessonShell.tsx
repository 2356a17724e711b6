'use client';
/**
 * The client frame of a lesson page: the bridge between text and workbench,
 * progress bookkeeping, and the resizable split. The text itself is rendered
 * on the server and passed in.
 */
import { useEffect, type ReactNode } from 'react';
import { BridgeProvider, useBridge } from '../../_lib/bridge.tsx';
import { progress } from '../../_lib/progress.ts';
import { SplitPane } from '../ui/SplitPane.tsx';

export function LessonShell({ slug, exerciseIds, text, workbench }: { slug: string; exerciseIds: string[]; text: ReactNode; workbench: ReactNode }) {
  useEffect(() => progress.markVisited(slug), [slug]);
  return (
    <BridgeProvider>
      <ExerciseProgress slug={slug} exerciseIds={exerciseIds} />
      <SplitPane first={text} second={workbench} storageKey="swb.split.v1" label="Resize lesson text and workbench" />
    </BridgeProvider>
  );
}

/** Remembers exercises that passed (verdicts arrive through the bridge). */
function ExerciseProgress({ slug, exerciseIds }: { slug: string; exerciseIds: string[] }) {
  const bridge = useBridge();
  useEffect(
    () =>
      bridge.subscribe(() => {
        const states = bridge.getExerciseStates();
        for (const id of exerciseIds) {
          const s = states.get(id)?.state;
          if (s === 'passed' || s === 'failed') progress.recordExercise(slug, id, s === 'passed', exerciseIds.length);
        }
      }),
    [bridge, slug, exerciseIds],
  );
  return null;
}
