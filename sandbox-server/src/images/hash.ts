// Pure logic for deciding whether an image must be rebuilt: a hash over everything that goes into
// a build. Kept free of Docker calls so it can be unit-tested.
import { createHash } from 'node:crypto';

export interface ContextFile {
  path: string; // relative, '/' separated
  mode: number; // only the executable bit matters
  content: Buffer;
}

export interface BuildInputs {
  tag: string;
  files: ContextFile[];
  buildArgs: Record<string, string>;
  parentIds: string[]; // image ids of every FROM, so a rebuilt base cascades
}

/** Bump when the way images are built changes in a way the inputs do not show. */
export const BUILD_SCHEMA = '1';

export function inputHash(inputs: BuildInputs): string {
  const h = createHash('sha256');
  const line = (s: string) => h.update(s + '\n');
  line(`schema ${BUILD_SCHEMA}`);
  line(`tag ${inputs.tag}`);
  for (const f of [...inputs.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const digest = createHash('sha256').update(f.content).digest('hex');
    line(`file ${f.path} ${f.mode & 0o111 ? 'x' : '-'} ${digest}`);
  }
  for (const key of Object.keys(inputs.buildArgs).sort()) line(`arg ${key}=${inputs.buildArgs[key]}`);
  for (const id of inputs.parentIds) line(`from ${id}`);
  return h.digest('hex');
}

/**
 * Image references named by FROM lines, skipping earlier stage names and `scratch`.
 * `${ARG}` / `$ARG` are replaced from buildArgs, then from the ARG defaults before the first FROM.
 */
export function parseFromRefs(dockerfile: string, buildArgs: Record<string, string> = {}): string[] {
  const defaults: Record<string, string> = {};
  const stages = new Set<string>();
  const refs: string[] = [];
  let seenFrom = false;
  // Join backslash continuations so an instruction is one line.
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [instr = '', ...rest] = line.split(/\s+/);
    const upper = instr.toUpperCase();
    if (upper === 'ARG' && !seenFrom) {
      const [name = '', value] = (rest[0] ?? '').split('=');
      if (value !== undefined) defaults[name] = value.replace(/^["']|["']$/g, '');
    } else if (upper === 'FROM') {
      seenFrom = true;
      const args = rest.filter((a) => !a.startsWith('--'));
      const image = (args[0] ?? '').replace(/\$\{?(\w+)\}?/g, (_, name: string) => buildArgs[name] ?? defaults[name] ?? '');
      if (args[1]?.toUpperCase() === 'AS' && args[2]) stages.add(args[2].toLowerCase());
      if (image && image !== 'scratch' && !stages.has(image.toLowerCase()) && !refs.includes(image)) refs.push(image);
    }
  }
  return refs;
}
