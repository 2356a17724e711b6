// Lint TypeScript across the web app, the sandbox server, scripts and tests.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * contract/ is bundled into the browser and shared with the server: it may import zod and its own
 * files, never Node built-ins, server-only packages or the server's, app's or content's folders.
 * (Its tests run in Node and are exempt.)
 */
export const contractImportRule = [
  'error',
  {
    paths: ['dockerode', 'ws', 'better-sqlite3', 'tar-stream', 'esbuild', 'mdx-bundler', 'tsx', 'next/server', 'server-only', ...builtinModules].map((name) => ({
      name,
      message: 'contract/ is browser-safe: no Node built-ins or server-only packages here.',
    })),
    patterns: [
      { group: ['node:*'], message: 'contract/ is browser-safe: no Node built-ins here.' },
      { group: ['**/sandbox-server/**', '**/app/**', '**/content/**', '@/*'], message: 'contract/ imports only zod and its own files.' },
    ],
  },
];

/**
 * Everything outside contract/ reaches it through the `@contract/*` alias (tsconfig paths), one
 * spelling for every folder, so a file can move without its imports changing.
 */
export const contractAliasRule = [
  'error',
  {
    patterns: [
      { regex: '^\\.\\.?/(.*/)?contract/', message: "Import contract/ as '@contract/<file>.ts', not by a relative path." },
    ],
  },
];

export default tseslint.config(
  // Dot folders hold build output, scratch data and work trees, not source.
  { ignores: ['.*/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.ts', '**/*.tsx', '**/*.mjs'], ignores: ['contract/**'], rules: { 'no-restricted-imports': contractAliasRule } },
  { files: ['contract/**/*.ts'], ignores: ['contract/**/*.test.ts'], rules: { 'no-restricted-imports': contractImportRule } },
);
