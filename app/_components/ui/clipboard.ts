/**
 * Clipboard that also works on plain-http workshop hosts, where
 * navigator.clipboard is unavailable (it needs a secure context).
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (window.isSecureContext && navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  const active = document.activeElement as HTMLElement | null;
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  active?.focus({ preventScroll: true });
  return ok;
}

/** Clipboard text, or null when the browser will not give it (no permission, insecure context). */
export async function readClipboard(): Promise<string | null> {
  try {
    if (window.isSecureContext && navigator.clipboard?.readText) return await navigator.clipboard.readText();
  } catch {
    // permission denied
  }
  return null;
}
