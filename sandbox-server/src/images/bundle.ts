/**
 * page.js for the stand-in visualizer image: its page.ts (sandbox-server/images/visualizer/, beside the
 * index.html it draws into) with the shared model and layout, bundled for the browser. Deterministic output (same sources, same bytes), so the image's input hash only
 * changes when the drawing code does.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ContextFile } from './hash.ts';

export async function visualizerPageFiles(): Promise<ContextFile[]> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../../images/visualizer/page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0];
  if (!js) throw new Error('visualizer page: esbuild produced no output');
  return [{ path: 'page.js', mode: 0o644, content: Buffer.from(js.contents) }];
}
