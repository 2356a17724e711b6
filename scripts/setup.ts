/**
 * `npm run setup`: what `npm test` prepares before its tests, alone (system packages, the Docker
 * Engine, images, the learner engine, the mirror, Chromium, the web build). Then one integration
 * file or one browser spec runs as is (README, "Testing").
 */
import { errorMessage } from '../sandbox-server/src/log.ts';
import { prepareForTests } from './lib/suites.ts';

try {
  await prepareForTests();
  console.log('[setup] ready: node --import tsx --test test/integration/<file>.test.ts, or npx playwright test test/e2e/<file>.spec.ts');
} catch (err) {
  console.error(`\n[setup] ${errorMessage(err)}\n`);
  process.exit(1);
}
