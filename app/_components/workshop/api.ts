/** The workshop endpoints as the browser calls them (same origin, cookies). */
export { workshopPaths } from '@contract/workshop.ts';

/** JSON from a workshop endpoint, or an Error carrying the server's message and status. */
export async function callJson<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'same-origin',
  });
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw Object.assign(new Error(data.error ?? `HTTP ${res.status}`), { status: res.status });
  return data as T;
}

export { wsUrl } from '../../_lib/sandbox/http.ts';

/** "3 min ago" for the dashboard. */
export function ago(ms: number | null, now: number): string {
  if (ms === null) return 'no pass yet';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}
