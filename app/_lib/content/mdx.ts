/**
 * Turns mdx-bundler output into a React component, on the server. The code
 * is our own compiled lesson (no imports allowed, see content/lint.ts); it
 * expects the JSX runtime under the names mdx-bundler's globals use.
 */
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import type { ComponentType } from 'react';

export type MdxComponents = Record<string, ComponentType<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type MdxContent = ComponentType<{ components?: MdxComponents }>;

const byCode = new Map<string, MdxContent>();

export function mdxComponent(code: string): MdxContent {
  let component = byCode.get(code);
  if (!component) {
    const moduleFactory = new Function('React', 'ReactDOM', '_jsx_runtime', code) as (...args: unknown[]) => { default: MdxContent };
    component = moduleFactory(React, {}, jsxRuntime).default;
    byCode.set(code, component);
  }
  return component;
}
