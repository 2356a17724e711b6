/**
 * THE registry of components lesson text may use (no imports in MDX). Names
 * and attributes are validated against contract/lesson.ts at build time; the
 * `satisfies` below keeps this list and the schema in step.
 *
 * Server module: it binds lesson data (exercises) to the client components.
 */
import { isValidElement, type ComponentProps, type ComponentType, type ReactNode } from 'react';
import type { CompiledLesson } from '../../../content/load.ts';
import type { ComponentName, NoteKind } from '@contract/lesson.ts';
import type { NodeName } from '@contract/protocol.ts';
import type { MdxComponents } from '../../_lib/content/mdx.ts';
import { CodeBlock } from './CodeBlock.tsx';
import { CommandBlock } from './Command.tsx';
import { ExerciseBlock } from './Exercise.tsx';
import { FileRef } from './FileRef.tsx';
import { HostGate } from './host.tsx';
import { Note } from './Note.tsx';
import { Reveal } from './Reveal.tsx';
import { SwarmDiagram } from './SwarmDiagram.tsx';

type Children = { children?: ReactNode };

export function lessonComponents(lesson: CompiledLesson): MdxComponents {
  const exercises = new Map(lesson.exercises.map((e, i) => [e.id, { exercise: e, number: i + 1 }]));

  const components = {
    Exercise: ({ id }: { id: string }) => {
      const found = exercises.get(id);
      // The loader guarantees the id exists; this only guards against a stale build.
      if (!found) return null;
      return <ExerciseBlock lessonSlug={lesson.slug} exercise={found.exercise} number={found.number} />;
    },
    // `code` is set by content/lint.ts from the element's content.
    Command: ({ node, code }: { node?: NodeName; code: string }) => <CommandBlock node={node} code={code} />,
    // Host notes (what a host without IPVS cannot do, and the variant commands) show only on such hosts.
    Note: ({ kind, title, children }: { kind?: NoteKind; title?: string } & Children) => (
      <HostGate kind={kind}>
        <Note kind={kind} title={title}>
          {children}
        </Note>
      </HostGate>
    ),
    Hint: ({ title, children }: { title?: string } & Children) => (
      <Reveal kind="hint" title={title}>
        {children}
      </Reveal>
    ),
    Solution: ({ title, children }: { title?: string } & Children) => (
      <Reveal kind="solution" title={title}>
        {children}
      </Reveal>
    ),
    SwarmDiagram: () => <SwarmDiagram />,
    FileRef: ({ path, children }: { path: string } & Children) => <FileRef path={path}>{children}</FileRef>,
  } satisfies Record<ComponentName, ComponentType<never>>;

  return {
    ...components,
    pre: ({ children }: ComponentProps<'pre'>) => (
      <CodeBlock text={textOf(children).replace(/\n$/, '')}>
        {children}
      </CodeBlock>
    ),
    a: ({ href = '', children, ...rest }: ComponentProps<'a'>) =>
      /^https?:\/\//.test(href) ? (
        <a href={href} target="_blank" rel="noreferrer" {...rest}>
          {children}
          <span className="visually-hidden"> (opens in a new tab)</span>
        </a>
      ) : (
        <a href={href} {...rest}>
          {children}
        </a>
      ),
  };
}

function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (isValidElement<{ children?: ReactNode }>(node)) return textOf(node.props.children);
  return '';
}
