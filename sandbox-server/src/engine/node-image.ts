/**
 * Images are built on the host engine; learner nodes run on the learner engine. The node image
 * is copied across (`docker save | docker load`) only when the learner engine lacks that exact
 * image id, i.e. after the node image was rebuilt.
 */
import type Docker from 'dockerode';

export async function copyImage(from: Docker, to: Docker, name: string, log: (line: string) => void): Promise<void> {
  const want = (await from.getImage(name).inspect()).Id;
  const have = await to.getImage(name).inspect().then((i) => i.Id, () => null);
  if (have === want) return;
  const t0 = Date.now();
  const tar = await from.getImage(name).get();
  const res = (await to.loadImage(tar, { quiet: true })) as NodeJS.ReadableStream;
  let out = '';
  for await (const chunk of res) out += chunk.toString();
  const loaded = await to.getImage(name).inspect().then((i) => i.Id, () => null);
  if (loaded !== want) throw new Error(`copying ${name} to the learner engine failed: ${out.slice(-300)}`);
  log(`copied ${name} to the learner engine in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The image it replaced under the same tag (a rebuild) is dangling now; unused ones go.
  await to.pruneImages({ filters: JSON.stringify({ dangling: ['true'] }) }).catch(() => undefined);
}
