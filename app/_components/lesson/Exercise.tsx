'use client';
import { useId } from 'react';
import type { ExerciseView } from '../../../content/load.ts';
import { useApplyResult, useBridge, useExerciseStatus, type ExerciseState } from '../../_lib/bridge.tsx';
import { progress, useLessonProgress } from '../../_lib/progress.ts';
import { CheckMessage } from './CheckMessage.tsx';
import { CommandBlock } from './Command.tsx';
import { useHostFact, visibleFor } from './host.tsx';
import { InlineText } from './InlineText.tsx';
import styles from './lesson.module.css';

const stateText: Record<ExerciseState, string> = {
  pending: 'To do',
  passed: 'Done',
  failed: 'Not yet',
};

/**
 * An exercise: title and status, hints revealed one at a time, then the
 * solution with Run buttons. What was revealed is remembered. The check's
 * message (with Run buttons for the commands it names) shows until the
 * exercise passes; a host note shows even then, as a warning. Once done, the
 * hints fold away.
 */
export function ExerciseBlock({ lessonSlug, exercise, number }: { lessonSlug: string; exercise: ExerciseView; number: number }) {
  const { state, message, hostNote } = useExerciseStatus(exercise.id);
  const bridge = useBridge();
  const applied = useApplyResult(exercise.id);
  const lp = useLessonProgress(lessonSlug);
  const headingId = useId();
  // Hints and solution steps meant for this host (the seed's commands where IPVS works, the variants where not).
  const fact = useHostFact();
  const hints = visibleFor(exercise.hints, fact);
  const solution = visibleFor(exercise.solution, fact);
  const hintsShown = Math.min(lp.hints?.[exercise.id] ?? 0, hints.length);
  const solutionShown = lp.solutions?.includes(exercise.id) ?? false;
  const allHintsShown = hintsShown >= hints.length;
  const passed = state === 'passed';
  // Commands in messages run where the exercise's solution starts, unless the message names a node.
  const node = solution[0]?.node ?? 'manager';
  const showMessage = !!message && !passed;
  const warn = passed && !!hostNote;

  return (
    <section className={`${styles.exercise} ${styles[`exercise-${state}`]} ${warn ? styles.exerciseWarn : ''}`} data-exercise-id={exercise.id} data-state={state} aria-labelledby={headingId}>
      <header className={styles.exerciseHead}>
        <span className={styles.exerciseIcon} aria-hidden="true">
          {state === 'passed' ? '✓' : state === 'failed' ? '✗' : number}
        </span>
        <h3 id={headingId} className={styles.exerciseTitle}>
          <span className="visually-hidden">Exercise {number}: </span>
          <InlineText text={exercise.title} />
        </h3>
        <span className={styles.exerciseState} role="status">
          <span className="visually-hidden">Status: </span>
          {warn ? 'Done, see the note' : stateText[state]}
        </span>
      </header>

      {(showMessage || hostNote) && (
        <div className={styles.exerciseMessage} data-exercise-message>
          {showMessage && (
            <p>
              <CheckMessage text={message} node={node} />
            </p>
          )}
          {hostNote && (
            <p className={styles.exerciseHostNote} role="note" data-host-note>
              <span className={styles.exerciseHostNoteTitle}>On this host:</span> <CheckMessage text={hostNote} node={node} />
            </p>
          )}
        </div>
      )}

      {hintsShown > 0 && !passed && <HintList hints={hints.slice(0, hintsShown)} />}
      {hintsShown > 0 && passed && (
        <details className={styles.hintsDone}>
          <summary>Hints ({hintsShown})</summary>
          <HintList hints={hints.slice(0, hintsShown)} />
        </details>
      )}

      {!passed && (
        <div className={styles.exerciseActions}>
          <button type="button" className="btn btn-small" onClick={() => bridge.checkExercise(exercise.id)}>
            Check
          </button>
          {!allHintsShown && (
            <button type="button" className="btn btn-small" onClick={() => progress.setHints(lessonSlug, exercise.id, hintsShown + 1)}>
              {hintsShown === 0 ? 'Show a hint' : 'Show another hint'} ({hintsShown + 1} of {hints.length})
            </button>
          )}
          {allHintsShown && !solutionShown && solution.length > 0 && (
            <button type="button" className="btn btn-small" onClick={() => progress.revealSolution(lessonSlug, exercise.id)}>
              Show the solution
            </button>
          )}
        </div>
      )}

      {solutionShown && (
        <div className={styles.solution}>
          <p className={styles.solutionTitle}>Solution</p>
          {solution.map((step, i) => (
            <CommandBlock key={i} node={step.node} code={step.run} />
          ))}
          {state !== 'passed' && (
            <div className={styles.exerciseActions}>
              <button type="button" className="btn btn-small" disabled={applied?.running} onClick={() => bridge.applySolution(exercise.id)}>
                {applied?.running ? 'Applying…' : 'Apply solution'}
              </button>
            </div>
          )}
          {applied && !applied.running && (
            <div className={styles.exerciseMessage} role="status">
              {applied.error ? (
                <p>{applied.error}</p>
              ) : applied.ok ? (
                <p>The solution ran on your cluster.</p>
              ) : (
                <>
                  <p>Part of the solution did not work:</p>
                  {applied.steps
                    ?.filter((s) => s.exitCode !== 0)
                    .map((s, i) => (
                      <pre key={i}>{`${s.node}$ ${s.run}\n${s.output.trim()}`}</pre>
                    ))}
                </>
              )}
            </div>
          )}
        </div>
      )}
    </section>
  );
}

function HintList({ hints }: { hints: { text: string }[] }) {
  return (
    <ol className={styles.hints} aria-label="Hints">
      {hints.map((hint, i) => (
        <li key={i}>
          <InlineText text={hint.text} />
        </li>
      ))}
    </ol>
  );
}
