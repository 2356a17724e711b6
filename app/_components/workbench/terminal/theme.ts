import type { ITheme } from '@xterm/xterm';

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

export const terminalFont = "ui-monospace, SFMono-Regular, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace";
