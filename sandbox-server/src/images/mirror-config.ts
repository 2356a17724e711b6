// Pure parts of the registry mirror: its configuration and the record of what was seeded.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';

export interface RegistryConfigOptions {
  addr: string; // host:port to listen on
  rootDir: string; // blob and manifest storage
  readonly: boolean;
}

/** distribution 2.8 configuration. Read-only mode answers pulls and refuses pushes with 405. */
export function registryConfig(o: RegistryConfigOptions): string {
  return stringify({
    version: 0.1,
    log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: o.rootDir },
      cache: { blobdescriptor: 'inmemory' },
      delete: { enabled: false },
      maintenance: {
        // Purging half-finished uploads walks the storage at start; seeding never leaves any.
        uploadpurging: { enabled: false },
        readonly: { enabled: o.readonly },
      },
    },
    // Only signs upload state; a fresh random value per start is fine for one process.
    http: { addr: o.addr, secret: randomBytes(16).toString('hex') },
  });
}

export interface SeededImage {
  mirrorRepo: string; // e.g. 'library/flask_app:3.0'
  id: string; // image id (sha256:...) of what was pushed under that name
}

/** Canonical form (sorted) so the record compares equal regardless of order. */
export function seedRecord(images: SeededImage[]): SeededImage[] {
  return [...images]
    .map(({ mirrorRepo, id }) => ({ mirrorRepo, id }))
    .sort((a, b) => (a.mirrorRepo < b.mirrorRepo ? -1 : a.mirrorRepo > b.mirrorRepo ? 1 : 0));
}

export function sameSeed(a: SeededImage[] | undefined, b: SeededImage[]): boolean {
  return a !== undefined && JSON.stringify(seedRecord(a)) === JSON.stringify(seedRecord(b));
}

/** 'library/flask_app:3.0' -> { repo: 'library/flask_app', tag: '3.0' } */
export function splitRepoTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon <= ref.lastIndexOf('/')) return { repo: ref, tag: 'latest' };
  return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}
