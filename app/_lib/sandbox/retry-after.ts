/**
 * The server's `Retry-After` (429, 503): how long it asks us to wait. A header is input like any
 * other: a value we cannot read, a negative one or a date in the past means "no advice" (null), and
 * any advice is held to MAX_RETRY_AFTER_S, so a wrong or hostile answer cannot park a page for a day.
 */

/** The longest wait we take from a server's Retry-After; longer advice waits this long. */
export const MAX_RETRY_AFTER_S = 120;

/**
 * Seconds from a `Retry-After` header: delta-seconds (`"30"`) or an HTTP-date (RFC 9110 §10.2.3),
 * clamped to 0..MAX_RETRY_AFTER_S; null when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | null {
  const value = header?.trim();
  if (!value || value.length > 64) return null;
  if (/^\d+$/.test(value)) return Math.min(MAX_RETRY_AFTER_S, Number(value));
  // Only a date with a weekday name, a time and GMT: `Date.parse` would also take "1" or "-5".
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.min(MAX_RETRY_AFTER_S, Math.max(0, Math.ceil((at - now) / 1000)));
}
