/**
 * A remark plugin that checks the JSX a lesson uses against the component
 * contract in contract/lesson.ts, and rewrites <Command> so its exact text reaches the
 * page. It records problems instead of throwing, so one build reports all of
 * them, each with file:line. Also the exercise linter (lintExercises) that the
 * loader runs on the frontmatter.
 */
import { lessonRefsOf, type CheckKind } from '@contract/checks.ts';
import type { NodeName } from '@contract/protocol.ts';
import { blockComponents, componentNames, componentProps, forHost, HOST_FACTS, type ComponentName, type Exercise, type HostFact } from '@contract/lesson.ts';

export interface LintContext {
  file: string;
  /** Lines of frontmatter before the MDX body (positions are body-relative). */
  lineOffset: number;
  /** The MDX body, to slice a command's raw text from. */
  source: string;
  nodes: ReadonlySet<NodeName>;
  exerciseIds: ReadonlySet<string>;
  labFiles: ReadonlySet<string>;
  problems: string[];
  /** Exercise id -> line where it is placed. */
  placedExercises: Map<string, number>;
  /** Lab files opened by <FileRef>. */
  fileRefs: Set<string>;
}

// The few mdast/MDX node shapes we look at (kept local: no dependency on
// transitive type packages).
interface Point { line: number; column: number; offset?: number }
interface MdNode {
  type: string;
  name?: string | null;
  value?: unknown;
  attributes?: MdAttribute[];
  children?: MdNode[];
  position?: { start: Point; end: Point };
}
interface MdAttribute { type: string; name?: string; value?: unknown }

const known = new Set<string>(componentNames);

export function lintLessonTree(ctx: LintContext) {
  return (tree: MdNode) => {
    walk(tree, ctx);
  };
}

function where(ctx: LintContext, node: MdNode): string {
  const p = node.position?.start;
  return p ? `${ctx.file}:${p.line + ctx.lineOffset}:${p.column}` : ctx.file;
}

function walk(node: MdNode, ctx: LintContext): void {
  // Generated nodes (remark-mdx-frontmatter's export) have no position.
  if (node.type === 'mdxjsEsm' && node.position) {
    ctx.problems.push(`${where(ctx, node)}: import/export is not allowed in lessons; components come from the registry`);
    return;
  }
  if ((node.type === 'mdxJsxFlowElement' || node.type === 'mdxJsxTextElement') && typeof node.name === 'string') {
    checkElement(node, ctx);
  }
  for (const child of node.children ?? []) walk(child, ctx);
}

function checkElement(node: MdNode, ctx: LintContext): void {
  const name = node.name!;
  if (/^[a-z]/.test(name) && !name.includes('.')) return; // plain HTML such as <kbd>
  if (!known.has(name)) {
    ctx.problems.push(`${where(ctx, node)}: unknown component <${name}>; lessons may use ${componentNames.map((n) => `<${n}>`).join(', ')}`);
    return;
  }
  const component = name as ComponentName;
  if (node.type === 'mdxJsxTextElement' && blockComponents.has(component)) {
    ctx.problems.push(`${where(ctx, node)}: <${name}> is a block; put it on its own line(s), not inside a sentence`);
  }

  const props: Record<string, unknown> = {};
  for (const attr of node.attributes ?? []) {
    if (attr.type !== 'mdxJsxAttribute' || !attr.name) {
      ctx.problems.push(`${where(ctx, node)}: <${name}>: spread attributes are not allowed`);
      continue;
    }
    if (attr.value !== null && attr.value !== undefined && typeof attr.value !== 'string') {
      ctx.problems.push(`${where(ctx, node)}: <${name} ${attr.name}>: use a plain quoted string, not an expression`);
      continue;
    }
    props[attr.name] = attr.value ?? true;
  }
  const parsed = componentProps[component].safeParse(props);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const attr = issue.path.length ? ` ${issue.path.join('.')}` : '';
      ctx.problems.push(`${where(ctx, node)}: <${name}${attr}>: ${issue.message}`);
    }
    return;
  }

  switch (component) {
    case 'Exercise': {
      const id = props.id as string;
      const line = (node.position?.start.line ?? 0) + ctx.lineOffset;
      if (!ctx.exerciseIds.has(id)) {
        const ids = [...ctx.exerciseIds];
        ctx.problems.push(`${where(ctx, node)}: <Exercise id="${id}">: no exercise with that id in the frontmatter (${ids.length ? `ids: ${ids.join(', ')}` : 'it declares none'})`);
      } else if (ctx.placedExercises.has(id)) {
        ctx.problems.push(`${where(ctx, node)}: <Exercise id="${id}"> is placed twice (also on line ${ctx.placedExercises.get(id)})`);
      } else {
        ctx.placedExercises.set(id, line);
      }
      if (node.children?.length) ctx.problems.push(`${where(ctx, node)}: <Exercise> takes no content; its text comes from the frontmatter`);
      break;
    }
    case 'Command': {
      const target = (props.node as NodeName | undefined) ?? 'manager';
      if (!ctx.nodes.has(target)) {
        ctx.problems.push(`${where(ctx, node)}: <Command node="${target}">: this lesson's cluster has only ${[...ctx.nodes].join(', ')} (frontmatter cluster.workers)`);
      }
      const code = commandText(node, ctx);
      if (code !== null) {
        // Hand the exact command to the component as a prop; the children
        // would have been rendered as Markdown.
        node.attributes = [
          { type: 'mdxJsxAttribute', name: 'node', value: target },
          { type: 'mdxJsxAttribute', name: 'code', value: code },
        ];
        node.children = [];
      }
      break;
    }
    case 'FileRef': {
      const p = props.path as string;
      if (!ctx.labFiles.has(p)) ctx.problems.push(`${where(ctx, node)}: <FileRef path="${p}">: no such file in content/files`);
      else ctx.fileRefs.add(p);
      break;
    }
    default:
      break;
  }
}

/**
 * The command inside <Command>...</Command>: a fenced block or inline code is
 * taken verbatim; plain text is sliced from the source so Markdown does not
 * eat backslashes, underscores or line breaks.
 */
function commandText(node: MdNode, ctx: LintContext): string | null {
  const children = node.children ?? [];
  const only = children.length === 1 ? children[0]! : undefined;
  const inner = only?.type === 'paragraph' && only.children?.length === 1 ? only.children[0]! : only;
  let text: string | null = null;
  if (inner && (inner.type === 'code' || inner.type === 'inlineCode') && typeof inner.value === 'string') {
    text = inner.value;
  } else if (children.length) {
    if (containsExpression(node)) {
      ctx.problems.push(`${where(ctx, node)}: <Command> contains { }: wrap the command in a fenced code block (\`\`\`) inside <Command> so braces stay literal`);
      return null;
    }
    const start = children[0]!.position?.start.offset;
    const end = children[children.length - 1]!.position?.end.offset;
    // Lines keep their indentation relative to the <Command> tag (e.g. inside a list item).
    if (start !== undefined && end !== undefined) text = dedent(ctx.source.slice(start, end), (node.position?.start.column ?? 1) - 1);
  }
  text = text?.trim() ?? '';
  if (!text) {
    ctx.problems.push(`${where(ctx, node)}: <Command> is empty; write the command between <Command> and </Command>`);
    return null;
  }
  return text;
}

function containsExpression(node: MdNode): boolean {
  return (node.children ?? []).some((c) => c.type === 'mdxTextExpression' || c.type === 'mdxFlowExpression' || containsExpression(c));
}

function dedent(text: string, cut: number): string {
  const lines = text.split('\n');
  return [lines[0]!, ...lines.slice(1).map((l) => l.slice(Math.min(cut, /^ */.exec(l)![0].length)))].join('\n');
}

// ---------------------------------------------------------------- exercises

export interface ExerciseLintContext {
  file: string;
  nodes: ReadonlySet<NodeName>;
  labFiles: ReadonlySet<string>;
  /** `:line` of a frontmatter path (or '' when unknown). */
  lineAt: (path: (string | number)[]) => string;
}

/** Fewest plausible wrong attempts per exercise: the lesson tests prove the check rejects each. */
export const MIN_WRONG_ANSWERS = 2;

/**
 * What every exercise needs beyond a valid shape: a check, hints, a solution
 * and at least two wrong answers; check parameters that name nodes of this
 * lesson's cluster and lab files that exist; commands that only use lab files
 * that exist.
 */
export function lintExercises(exercises: readonly Exercise[], ctx: ExerciseLintContext): string[] {
  const problems: string[] = [];
  exercises.forEach((ex, i) => {
    const at = (path: (string | number)[], message: string) =>
      problems.push(`${ctx.file}${ctx.lineAt(['exercises', i, ...path])}: exercise "${ex.id}": ${message}`);
    if (!ex.check) at([], 'has no check: say how the server verifies it (check: ..., see contract/checks.ts)');
    // Every kind of host gets hints, a solution and wrong answers of its own (items without `host` count for both).
    const perHost = <T extends { host?: HostFact }>(items: readonly T[], enough: number, say: (n: number, on: string) => string, path: (string | number)[] = []) => {
      const short = HOST_FACTS.filter((fact) => forHost(items, fact).length < enough);
      if (short.length === HOST_FACTS.length && items.every((i) => !i.host)) at(path, say(items.length, ''));
      else for (const fact of short) at(path, say(forHost(items, fact).length, fact === 'ipvs' ? ' for hosts with IPVS' : ' for hosts without IPVS'));
    };
    perHost(ex.hints, 1, (_, on) => `has no hints${on}: give at least one, vaguest first`);
    perHost(ex.solution, 1, (_, on) => `has no solution${on}: list the commands that solve it`);
    perHost(ex.wrongAnswers, MIN_WRONG_ANSWERS, (n, on) => `has ${n} wrong answer${n === 1 ? '' : 's'}${on}; give at least ${MIN_WRONG_ANSWERS} plausible wrong attempts the check must reject`, ['wrongAnswers']);
    if (ex.check) {
      // Which parameters name a node or a lab file is the registry's to say (contract/checks.ts).
      walkCheck(ex.check, ['check'], (kind, params, path) => {
        for (const ref of lessonRefsOf(kind, params)) {
          const where = [...path, kind, ...ref.path];
          const param = [kind, ...ref.path].join('.');
          if (ref.names === 'node' && !ctx.nodes.has(ref.value as NodeName)) {
            at(where, `check ${param} "${ref.value}" is not in this lesson's cluster (${[...ctx.nodes].join(', ')})`);
          }
          if (ref.names === 'labFile') {
            const rel = ref.value.replace(/^\/lab\//, '');
            if (!ctx.labFiles.has(rel)) at(where, `check ${param} "/lab/${rel}" is not a lab file (content/files/${rel} does not exist)`);
          }
        }
      });
    }
    const commands = [
      ...ex.solution.map((s, j) => ({ run: s.run, path: ['solution', j, 'run'] })),
      ...ex.wrongAnswers.flatMap((w, k) => w.steps.map((s, j) => ({ run: s.run, path: ['wrongAnswers', k, 'steps', j, 'run'] }))),
    ];
    for (const c of commands) {
      for (const m of c.run.matchAll(/(?:^|[\s=,:'"])\/lab\/([A-Za-z0-9._/-]+)/g)) {
        const rel = m[1]!.replace(/\/+$/, '');
        const exists = ctx.labFiles.has(rel) || [...ctx.labFiles].some((f) => f.startsWith(`${rel}/`));
        if (!exists) at(c.path, `command uses /lab/${rel}, which is not a lab file (content/files/${rel} does not exist)`);
      }
    }
  });
  return problems;
}

type AnyCheck = NonNullable<Exercise['check']>;

function walkCheck(check: AnyCheck, path: (string | number)[], visit: (kind: CheckKind, params: unknown, path: (string | number)[]) => void): void {
  for (const [kind, params] of Object.entries(check)) {
    if (kind === 'hold') continue;
    if ((kind === 'all' || kind === 'any') && Array.isArray(params)) {
      params.forEach((c, i) => walkCheck(c as AnyCheck, [...path, kind, i], visit));
    } else {
      visit(kind as CheckKind, params, path);
    }
  }
}

/**
 * `after` names an exercise placed earlier in the text: the learner meets them in that order, and one
 * that waited for a later exercise would be red while its own step is done. (Unknown ids, an exercise
 * following itself and cycles are the schema's, contract/lesson.ts.)
 */
export function lintExerciseOrder(
  exercises: readonly Pick<Exercise, 'id' | 'after'>[],
  placed: ReadonlyMap<string, number>,
  ctx: Pick<ExerciseLintContext, 'file' | 'lineAt'>,
): string[] {
  const problems: string[] = [];
  exercises.forEach((ex, i) => {
    if (!ex.after) return;
    const own = placed.get(ex.id);
    const earlier = placed.get(ex.after.id);
    if (own === undefined || earlier === undefined || earlier < own) return;
    problems.push(
      `${ctx.file}${ctx.lineAt(['exercises', i, 'after'])}: exercise "${ex.id}": after "${ex.after.id}", which is placed later in the text (line ${earlier}, this one on line ${own}); an exercise can only follow one the learner meets before it`,
    );
  });
  return problems;
}
