/**
 * Unguessable identifiers. The instructor secret is 256 random bits and only
 * its SHA-256 is stored, so a copy of the database cannot open a dashboard.
 */
import crypto from 'node:crypto';
import { JOIN_CODE_ALPHABET } from '@contract/workshop.ts';

export function newSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** Constant-time: the answer time says nothing about how much of a guess was right. */
export function secretMatches(secret: string | undefined, hash: string): boolean {
  if (!secret || secret.length > 200) return false;
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Random string from an alphabet without modulo bias (rejection sampling). */
function randomFrom(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

export const newWorkshopId = () => randomFrom('abcdefghijklmnopqrstuvwxyz0123456789', 12);
export const newLearnerId = () => randomFrom('abcdefghijklmnopqrstuvwxyz0123456789', 12);
/** Short enough to type from a projector; open workshops never share one (unique index). */
export const newJoinCode = () => randomFrom(JOIN_CODE_ALPHABET, 6);
