/**
 * The browser sandbox client. UI code imports from here only.
 */
import { SandboxClient } from './client';

export { SandboxClient } from './client';
export { SandboxHttpError } from './http';
export { commandKeystrokes, binaryStringToBytes } from './frames';
export type * from './types';

let shared: SandboxClient | null = null;

/** One connection per browser tab, shared by every workbench view. */
export function getSandboxClient(): SandboxClient {
  if (typeof window === 'undefined') throw new Error('the sandbox client runs in the browser only');
  shared ??= new SandboxClient();
  return shared;
}
