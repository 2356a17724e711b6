/**
 * The instructor key: who may create workshops. The operator sets
 * SWB_ADMIN_TOKEN, or one is generated at first start into the data dir
 * (readable by the server's user only) and printed by `npm start` and
 * `npm run instructor` as a link to the create-workshop page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { newSecret } from './secrets.ts';

export function adminTokenFile(dataDir: string, instance: string): string {
  return path.join(dataDir, `instructor-key-${instance}`);
}

/** SWB_ADMIN_TOKEN, or the generated key (made now if there is none yet). */
export function adminToken(config: { SWB_ADMIN_TOKEN?: string; dataDir: string; SWB_INSTANCE: string }): { token: string; generated: boolean } {
  if (config.SWB_ADMIN_TOKEN) return { token: config.SWB_ADMIN_TOKEN, generated: false };
  const file = adminTokenFile(config.dataDir, config.SWB_INSTANCE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, generated: false };
  } catch {
    // none yet
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const token = newSecret();
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

/** The link an instructor opens to create a workshop (the key rides in the fragment: never sent to a server or logged). */
export function instructorLink(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/$/, '')}/workshops/new#key=${encodeURIComponent(token)}`;
}
