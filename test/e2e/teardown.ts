/** After the browser tests: remove every cluster the e2e server created (it keeps them on SIGTERM for adoption). */
import { E2E_INSTANCE } from '../../playwright.config.ts';
import { leftovers, removeInstance } from '../helpers/server.ts';

export default async function teardown(): Promise<void> {
  await removeInstance(E2E_INSTANCE);
  const left = await leftovers(E2E_INSTANCE);
  if (left.containers + left.networks + left.volumes > 0) throw new Error(`e2e left things behind: ${JSON.stringify(left)}`);
}
