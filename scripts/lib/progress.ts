/** Visible progress for set-up steps: what is happening and how long it took. */
export function step<T>(what: string, fn: () => T): T {
  const started = Date.now();
  process.stdout.write(`[setup] ${what}...\n`);
  const done = () => process.stdout.write(`[setup] ${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const result = fn();
  if (result instanceof Promise) return result.then((v) => (done(), v)) as T;
  done();
  return result;
}

export function info(line: string): void {
  process.stdout.write(`[setup] ${line}\n`);
}
