/**
 * `npm run test:unit`: types, lint and the unit specs, the inner loop (about a minute, no Docker
 * Engine). The same suites as the start of `npm test` (scripts/lib/suites.ts).
 */
import { finish, unitSuites } from './lib/suites.ts';

finish(await unitSuites());
