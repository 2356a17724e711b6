/** Poll a condition until it holds or the deadline passes (tests never sleep blindly). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n--- last output ---\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
