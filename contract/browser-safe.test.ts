/**
 * The lint rule that keeps contract/ browser-safe fires on server-only imports (and only there).
 * Run: node --import tsx --test contract/browser-safe.test.ts
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: root });
const restricted = async (code: string, file: string) =>
  (await eslint.lintText(code, { filePath: path.join(root, file) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);

test('contract/ may not import Node built-ins, server-only packages or server folders', async () => {
  const bad = [
    "import fs from 'node:fs';",
    "import path from 'path';",
    "import Docker from 'dockerode';",
    "import { WebSocketServer } from 'ws';",
    "import Database from 'better-sqlite3';",
    "import { loadConfig } from '../sandbox-server/src/config.ts';",
  ];
  for (const line of bad) {
    const messages = await restricted(`${line}\nexport const x = 1;\n`, 'contract/bad.ts');
    assert.equal(messages.length, 1, `${line} must be refused in contract/ (got ${JSON.stringify(messages)})`);
  }
});

test('the same imports pass outside contract/, and zod passes inside it (the rule is not blanket)', async () => {
  assert.deepEqual(await restricted("import fs from 'node:fs';\nexport const x = fs;\n", 'sandbox-server/src/bad.ts'), []);
  assert.deepEqual(await restricted("import { z } from 'zod';\nimport { nodeName } from './protocol.ts';\nexport const x = [z, nodeName];\n", 'contract/good.ts'), []);
});
