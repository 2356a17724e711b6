import type { ITheme } from '@xterm/xterm';
// The terminal font ships with the app (OFL, from the npm registry, served by us): every learner sees
// the same glyphs, and its metrics keep `_` and descenders inside the cell at every zoom.
import '@fontsource/jetbrains-mono/400.css';
import '@fontsource/jetbrains-mono/700.css';

/** Terminal colours matching the app theme (globals.css). */
export const darkTheme: ITheme = {
  background: '#0b0f13',
  foreground: '#e4e8ed',
  cursor: '#7eb0ff',
  cursorAccent: '#0b0f13',
  selectionBackground: '#2d4d80',
  black: '#1b222b',
  red: '#ff6b6b',
  green: '#4ac26b',
  yellow: '#e3b341',
  blue: '#5b9bff',
  magenta: '#c792ea',
  cyan: '#4fd1d9',
  white: '#d0d7de',
  brightBlack: '#6e7781',
  brightRed: '#ff8e8e',
  brightGreen: '#6fdd8b',
  brightYellow: '#f2cc60',
  brightBlue: '#86b7ff',
  brightMagenta: '#ddb3ff',
  brightCyan: '#7ee6ec',
  brightWhite: '#ffffff',
};

export const lightTheme: ITheme = {
  background: '#fbfcfd',
  foreground: '#1b1f24',
  cursor: '#1d5fd6',
  cursorAccent: '#fbfcfd',
  selectionBackground: '#b9d2fb',
  black: '#24292f',
  red: '#c0262d',
  green: '#1a7f37',
  yellow: '#8a5a00',
  blue: '#1d5fd6',
  magenta: '#8250df',
  cyan: '#0f7b8a',
  white: '#6e7781',
  brightBlack: '#57606a',
  brightRed: '#a40e26',
  brightGreen: '#116329',
  brightYellow: '#6f4800',
  brightBlue: '#0a47b0',
  brightMagenta: '#6639ba',
  brightCyan: '#0b5f6b',
  brightWhite: '#8c959f',
};

/** Used until the shipped font has loaded (xterm measures its cells once per font change). */
export const fallbackTerminalFont = "ui-monospace, SFMono-Regular, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace";
export const terminalFont = `'JetBrains Mono', ${fallbackTerminalFont}`;

/**
 * Font size and line height: a 14 px JetBrains Mono cell is 17 device px tall at 100 % and the
 * underscore sits about 2.5 px above its bottom edge, so it stays drawn at 90 %, 100 % and 125 %
 * (test/e2e/terminal-font.spec.ts checks the pixels).
 */
export const terminalFontSize = 14;
export const terminalLineHeight = 1.1;

/**
 * Start a terminal in the fallback font and switch once the shipped font has loaded, so xterm
 * measures its cells with the font it draws with. Returns a cancel function.
 */
export function switchToShippedFont(options: { fontFamily?: string }, onSwitched: () => void = () => undefined): () => void {
  let cancelled = false;
  const spec = `${terminalFontSize}px 'JetBrains Mono'`;
  if (document.fonts.check(spec)) {
    options.fontFamily = terminalFont;
    return () => undefined;
  }
  options.fontFamily = fallbackTerminalFont;
  void Promise.all([document.fonts.load(spec), document.fonts.load(`bold ${spec}`)])
    .catch(() => undefined)
    .then(() => {
      if (cancelled) return;
      options.fontFamily = terminalFont;
      onSwitched();
    });
  return () => {
    cancelled = true;
  };
}
