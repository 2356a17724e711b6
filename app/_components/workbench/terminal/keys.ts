/**
 * Copy/paste keys in the terminal. Ctrl+C must stay "interrupt" for the shell
 * unless text is selected, so: Ctrl+Shift+C copies; Ctrl+C copies only with a
 * selection; Ctrl+V and Ctrl+Shift+V are left to the browser, whose paste
 * event xterm turns into input (works without clipboard permissions).
 */
export type KeyAction = 'copy' | 'paste' | 'find' | null;

export function terminalKeyAction(e: Pick<KeyboardEvent, 'type' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey' | 'code'>, hasSelection: boolean): KeyAction {
  if (e.type !== 'keydown' || !e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.code === 'KeyC' && (e.shiftKey || hasSelection)) return 'copy';
  if (e.code === 'KeyV') return 'paste';
  if (e.code === 'KeyF' && e.shiftKey) return 'find';
  return null;
}
