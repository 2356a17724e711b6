/** A small structured logger: fields, not string soup; JSON in production, readable in a terminal. */
export type Fields = Record<string, unknown>;
export interface Logger {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export type LogLevel = 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2, silent: 3 };

/** Where finished lines go: stdout, errors to stderr (tests pass their own to read what was logged). */
export type LogSink = (line: string, level: Exclude<LogLevel, 'silent'>) => void;
const stdio: LogSink = (line, level) => (level === 'error' ? process.stderr : process.stdout).write(line + '\n');

export function createLogger(format: 'pretty' | 'json', base: Fields = {}, minLevel: LogLevel = 'info', sink: LogSink = stdio): Logger {
  const write = (level: Exclude<LogLevel, 'silent'>, msg: string, fields: Fields = {}) => {
    if (RANK[level] < RANK[minLevel]) return;
    const all = { ...base, ...fields };
    if (format === 'json') {
      sink(JSON.stringify({ t: new Date().toISOString(), level, msg, ...all }), level);
    } else {
      const extra = Object.entries(all).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      sink(`${new Date().toISOString().slice(11, 23)} ${level.padEnd(5)} ${msg} ${extra.join(' ')}`.trimEnd(), level);
    }
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (f) => createLogger(format, { ...base, ...f }, minLevel, sink),
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
