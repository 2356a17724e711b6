/**
 * Monaco from our own bundle: core editor, editor features, the few languages
 * the lab files need, and the editor worker bundled as a module worker. No
 * CDN (the React wrapper's default), nothing fetched from outside.
 */
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/yaml/register';
import 'monaco-editor/languages/definitions/mysql/register';
import 'monaco-editor/languages/definitions/python/register';
import 'monaco-editor/languages/definitions/ini/register';
import 'monaco-editor/languages/definitions/dockerfile/register';
import 'monaco-editor/languages/definitions/shell/register';
import 'monaco-editor/languages/definitions/markdown/register';
import { loader } from '@monaco-editor/react';

self.MonacoEnvironment = {
  getWorker: () => new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module' }),
};

loader.config({ monaco });

export { monaco };
