// A node --test reporter: how long each test file's tests took (the sum of its top-level tests, in ms;
// its loading time aside), written as one JSON object at the end. scripts/lib/suites.ts reads it.
export default async function* fileTimes(source) {
  const ms = {};
  for await (const { type, data } of source) {
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0 && data.file) {
      ms[data.file] = (ms[data.file] ?? 0) + (data.details?.duration_ms ?? 0);
    }
  }
  yield JSON.stringify(ms);
}
