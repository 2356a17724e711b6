/** Small helpers that keep check messages consistent: `names` in backticks, counts with nouns. */
import { normalizeImage, withoutDigest } from '@contract/docker.ts';

export const q = (name: string): string => `\`${name}\``;

export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** "a, b and c"; `none` for an empty list; beyond `max` items "a, b and 3 more". */
export function list(items: readonly string[], none = 'none', max = Infinity): string {
  if (items.length === 0) return none;
  if (items.length > max) return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
  if (items.length === 1) return items[0]!;
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Image reference for comparison (stated once, in contract/docker.ts). */
export { normalizeImage };

/** Image reference to show a learner: as typed, without the digest swarm may append. */
export function displayImage(ref: string | undefined): string {
  return withoutDigest(ref ?? '?');
}

/** Placement constraints compare without spaces: `node.role == manager` = `node.role==manager`. */
export function normalizeConstraint(c: string): string {
  return c.replace(/\s+/g, '');
}

/** The readable part of an HTML or text page: tags stripped, whitespace collapsed, the error line if there is one. */
export function pageGist(body: string, max = 160): string {
  const pre = /<pre[^>]*>([\s\S]*?)<\/pre>/i.exec(body)?.[1];
  const text = decodeEntities((pre ?? body).replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  const error = /[\w.]*(?:Error|Exception)\b[^]*$/.exec(text)?.[0];
  const gist = error ?? text;
  return gist.length > max ? `${gist.slice(0, max - 1)}…` : gist;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
