/**
 * The lesson contract: frontmatter of `content/lessons/NN-slug.mdx` and the
 * props of the components lesson text may use.
 *
 * One schema, three users: the loader (build + `validateAllLessons()` in
 * tests), the lesson page (inferred types), and the check engine (the `check`
 * vocabulary lives in ./checks.ts). The
 * `.describe()` texts are the documentation for lesson writers.
 *
 * No Node imports: the browser bundle may import the types and the component
 * list from here.
 */
import { z } from 'zod';
import { labPath, nodeName, type NodeName } from './protocol.ts';
import { exerciseCheck } from './checks.ts';

export const MAX_WORKERS = 9;

export const exerciseId = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'exercise id: lowercase letters, digits and single dashes (e.g. swarm-active)')
  .describe('Unique within the lesson; referenced from the text as <Exercise id="..." />.');

/**
 * Which hosts a solution step, hint or wrong answer is for: `ipvs` = hosts where swarm VIPs and the
 * routing mesh work (the seed's own commands), `no-ipvs` = hosts without IPVS (host-mode publishing,
 * dnsrr). Omitted = every host.
 */
export const hostFact = z
  .enum(['ipvs', 'no-ipvs'])
  .describe('Only on hosts with IPVS (ipvs) or only on hosts without it (no-ipvs); omitted = every host.');
export type HostFact = z.infer<typeof hostFact>;
export const HOST_FACTS: readonly HostFact[] = ['ipvs', 'no-ipvs'];

/** The host fact of a host: `ipvs` when it has IPVS. */
export const hostFactOf = (ipvs: boolean): HostFact => (ipvs ? 'ipvs' : 'no-ipvs');

/** The items meant for this host (those without `host` are for every host). */
export function forHost<T extends { host?: HostFact }>(items: readonly T[], fact: HostFact): T[] {
  return items.filter((i) => !i.host || i.host === fact);
}

export const solutionStep = z
  .strictObject({
    node: nodeName.describe('Node whose terminal runs the command: manager or worker-N (must exist in this lesson\'s cluster).'),
    run: z.string().trim().min(1, 'run: the command must not be empty').describe('The shell command, exactly as the learner would type it.'),
    host: hostFact.optional(),
  })
  .describe('One solution command and the node it runs on.');
export type SolutionStep = z.infer<typeof solutionStep>;

/**
 * `after`: this exercise passes only once the named earlier exercise has passed in the learner's run
 * of the lesson. For a step whose end state can exist before it (scaling back down to a state the
 * lesson already passed through), the check alone cannot tell the step was done.
 */
export const exerciseOrder = z
  .union([
    exerciseId,
    z.strictObject({
      id: exerciseId,
      why: z.string().trim().min(1).optional().describe('What the learner reads until the earlier exercise passed: what to do first and why this step needs it.'),
    }),
  ], { error: 'after: an exercise id, or { id, why }' })
  .transform((a): { id: string; why?: string } => (typeof a === 'string' ? { id: a } : a))
  .describe('The earlier exercise (id) this one follows: it passes only after that one passed; `{ id, why }` says in words why.');
export type ExerciseOrder = z.infer<typeof exerciseOrder>;

export const exercise = z
  .strictObject({
    id: exerciseId,
    title: z.string().trim().min(1).describe('What the learner has to achieve, as an imperative sentence.'),
    hints: z
      .array(
        z.union([
          z.string().trim().min(1),
          z.strictObject({ text: z.string().trim().min(1), host: hostFact }),
        ], { error: 'a hint is a string, or { text, host } for one kind of host' }),
      )
      .default([])
      .transform((hs) => hs.map((h): { text: string; host?: HostFact } => (typeof h === 'string' ? { text: h } : h)))
      .describe('Hints, revealed one at a time, vaguest first; `{ text, host: ipvs | no-ipvs }` for a hint meant for one kind of host.'),
    solution: z.array(solutionStep).default([]).describe('Commands that solve the exercise, shown after the hints, each with a Run button.'),
    check: exerciseCheck.optional(),
    after: exerciseOrder.optional(),
    wrongAnswers: z
      .array(
        z.strictObject({
          why: z.string().trim().min(1).describe('What is wrong about this attempt, in a few words.'),
          steps: z.array(solutionStep).min(1).describe('The commands of the wrong attempt.'),
          host: hostFact.optional().describe('Only a wrong answer on this kind of host (omitted: on every host).'),
          expect: z
            .string()
            .min(1)
            .optional()
            .describe('Text the check\'s failing message must contain, so the learner reads what the mistake was (the lesson tests assert it).'),
          skipsEarlier: z
            .literal(true)
            .optional()
            .describe('This attempt skips the exercise named in `after`, and must fail for its order. Otherwise the lesson tests count that earlier exercise as passed first, so the check itself is what rejects the attempt.'),
        }),
      )
      .default([])
      .describe('Plausible wrong attempts the check must NOT accept (exercised by the check tests; never shown to learners).'),
  })
  .describe('An exercise: placed in the text with <Exercise id="..." />.');
export type Exercise = z.infer<typeof exercise>;

export const clusterSpec = z
  .strictObject({
    workers: z.number().int().min(0).max(MAX_WORKERS).describe(`Worker nodes this lesson needs (0..${MAX_WORKERS}); the manager always exists.`),
  })
  .describe('The cluster the lesson runs against.');

export const lessonFrontmatter = z
  .strictObject({
    title: z.string().trim().min(1).describe('Lesson title, shown in the list and as the page heading.'),
    order: z.number().int().min(0).describe('Position in the lesson path; unique across lessons.'),
    summary: z.string().trim().min(1).describe('One sentence for the lesson list.'),
    minutes: z.number().int().min(1).max(240).describe('Estimated minutes to complete.'),
    cluster: clusterSpec,
    files: z
      .array(labPath)
      .default([])
      .describe('Lab files (paths under content/files, placed in /lab on every node) opened in the editor; may be empty.'),
    exercises: z.array(exercise).default([]).describe('Exercises of this lesson, in any order; may be empty.'),
  })
  .superRefine((fm, ctx) => {
    const nodes = new Set(clusterNodes(fm.cluster.workers));
    const seen = new Set<string>();
    fm.exercises.forEach((ex, i) => {
      if (seen.has(ex.id)) ctx.addIssue({ code: 'custom', path: ['exercises', i, 'id'], message: `duplicate exercise id "${ex.id}"` });
      seen.add(ex.id);
      const checkNode = (node: NodeName, path: (string | number)[]) => {
        if (!nodes.has(node)) {
          ctx.addIssue({ code: 'custom', path, message: `node "${node}" is not in this lesson's cluster (${[...nodes].join(', ')})` });
        }
      };
      ex.solution.forEach((step, j) => checkNode(step.node, ['exercises', i, 'solution', j, 'node']));
      ex.wrongAnswers.forEach((w, k) =>
        w.steps.forEach((step, j) => checkNode(step.node, ['exercises', i, 'wrongAnswers', k, 'steps', j, 'node'])),
      );
    });
    checkOrder(fm.exercises, (i, message) => ctx.addIssue({ code: 'custom', path: ['exercises', i, 'after'], message }));
    fm.exercises.forEach((ex, i) => {
      ex.wrongAnswers.forEach((w, k) => {
        if (w.skipsEarlier && !ex.after) {
          ctx.addIssue({ code: 'custom', path: ['exercises', i, 'wrongAnswers', k, 'skipsEarlier'], message: 'skipsEarlier: this exercise follows no other (give it `after:` first)' });
        }
      });
    });
    const files = new Set<string>();
    fm.files.forEach((f, i) => {
      if (files.has(f)) ctx.addIssue({ code: 'custom', path: ['files', i], message: `file "${f}" is listed twice` });
      files.add(f);
    });
  })
  .describe('Frontmatter of a lesson file (YAML between --- lines).');
export type LessonFrontmatter = z.infer<typeof lessonFrontmatter>;

/**
 * What is wrong with the exercises' `after`: an unknown id, an exercise that follows itself, or a
 * cycle (which no learner could ever finish). Whether `after` names an exercise placed earlier in the
 * text is the loader's business (content/lint.ts): only it sees the text.
 */
export function checkOrder(exercises: readonly Pick<Exercise, 'id' | 'after'>[], problem: (index: number, message: string) => void): void {
  const byId = new Map(exercises.map((e) => [e.id, e]));
  exercises.forEach((ex, i) => {
    if (!ex.after) return;
    if (ex.after.id === ex.id) return problem(i, `after: "${ex.id}" cannot follow itself`);
    if (!byId.has(ex.after.id)) return problem(i, `after: no exercise "${ex.after.id}" in this lesson (ids: ${[...byId.keys()].join(', ')})`);
    // Each exercise follows at most one: walk the chain; coming back to this one is a cycle.
    const chain = [ex.id];
    for (let next = byId.get(ex.after.id); next; next = next.after ? byId.get(next.after.id) : undefined) {
      if (next.id === ex.id) return problem(i, `after: ${[...chain, ex.id].map((id) => `"${id}"`).join(' → ')} is a cycle, so none of them could ever pass`);
      if (chain.includes(next.id)) return; // a cycle further on, reported at its own exercises
      chain.push(next.id);
    }
  });
}

/** The node names of a cluster with `workers` workers, manager first. */
export function clusterNodes(workers: number): NodeName[] {
  return ['manager', ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`)];
}

// ---------------------------------------------------------------- components in lesson text
// Attribute schemas of every component lesson text may use. The loader checks
// each JSX element against these (unknown component or attribute = error), and
// the app's registry must provide exactly these names (enforced by its type).

export const noteKind = z.enum(['info', 'warning', 'host']);
export type NoteKind = z.infer<typeof noteKind>;

export const componentProps = {
  /** Renders the exercise from frontmatter at this place. */
  Exercise: z.strictObject({ id: exerciseId }),
  /** A command with Run and Copy. The command is the element's content (text, inline code or a fenced block). */
  Command: z.strictObject({ node: nodeName.optional().describe('Terminal to run in; defaults to manager.') }),
  /** A callout: info (default), warning, or host = something this host cannot do. */
  Note: z.strictObject({ kind: noteKind.optional(), title: z.string().optional() }),
  /** Collapsible hint outside exercises. */
  Hint: z.strictObject({ title: z.string().optional() }),
  /** Collapsible solution outside exercises. */
  Solution: z.strictObject({ title: z.string().optional() }),
  /** The swarm concept diagram (manager, workers, services, tasks). */
  SwarmDiagram: z.strictObject({}),
  /** A button that opens a lab file in the editor; content (optional) is the label. */
  FileRef: z.strictObject({ path: labPath }),
} as const;
export type ComponentName = keyof typeof componentProps;
export const componentNames = Object.keys(componentProps) as ComponentName[];

/** Components that render blocks and so must stand on their own lines in MDX. */
export const blockComponents: ReadonlySet<ComponentName> = new Set(['Exercise', 'Command', 'Note', 'Hint', 'Solution', 'SwarmDiagram']);
