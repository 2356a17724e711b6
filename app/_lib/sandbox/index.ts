/**
 * The browser sandbox client. UI code imports from here only.
 */
import { SandboxClient } from './client.ts';

export { SandboxClient } from './client.ts';
export { SandboxHttpError } from './http.ts';
export { commandKeystrokes, binaryStringToBytes } from './frames.ts';
export type * from './types.ts';

let shared: SandboxClient | null = null;

/** One connection per browser tab, shared by every workbench view. */
export function getSandboxClient(): SandboxClient {
  if (typeof window === 'undefined') throw new Error('the sandbox client runs in the browser only');
  shared ??= new SandboxClient();
  return shared;
}
