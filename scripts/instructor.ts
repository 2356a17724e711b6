/**
 * `npm run instructor`: print the link instructors use to create workshops
 * (the instructor key from SWB_ADMIN_TOKEN, or the one `npm start` generated
 * into the data dir; made now if the server never ran).
 */
import { loadConfig } from '../sandbox-server/src/config.ts';
import { adminToken, instructorLink } from '../sandbox-server/src/workshops/admin-token.ts';

const config = loadConfig();
const { token } = adminToken(config);
const base = config.SWB_PUBLIC_URL ?? `http://localhost:${config.PORT}`;
console.log(`Instructor link (create workshops; keep it private):\n${instructorLink(base, token)}`);
