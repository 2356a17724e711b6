/** `npm start`: prepare what is missing, build the web app, serve everything on one URL. */
import { loadConfig } from '../sandbox-server/src/config.ts';
import { createLogger, errorMessage } from '../sandbox-server/src/log.ts';
import { closeOnSignals, runServer } from '../sandbox-server/src/main.ts';
import { prepareHost, repoRoot } from './lib/prepare.ts';
import { buildWebIfChanged, webApp } from './lib/web.ts';
import { instructorLink } from '../sandbox-server/src/workshops/admin-token.ts';

const dev = process.argv.includes('--dev');
// Nothing leaves this machine: no Next.js telemetry either.
process.env.NEXT_TELEMETRY_DISABLED = '1';
try {
  const config = loadConfig();
  await prepareHost(config);
  if (config.SWB_WEB && !dev) await buildWebIfChanged(repoRoot);
  const web = config.SWB_WEB ? await webApp(repoRoot, dev) : undefined;
  const log = createLogger(config.SWB_LOG_FORMAT, {}, config.SWB_LOG_LEVEL);
  process.on('uncaughtException', (err) => log.error('uncaught exception (server keeps running)', { error: errorMessage(err) }));
  const server = await runServer(config, log, web);
  closeOnSignals(server, log);
  console.log(`\n  Swarm Workbench is running: open ${config.SWB_PUBLIC_URL ?? server.url}`);
  console.log(`  Instructors create workshops with this link (keep it private; npm run instructor prints it again):\n  ${instructorLink(config.SWB_PUBLIC_URL ?? server.url, server.sandbox.adminToken)}\n`);
} catch (err) {
  console.error(`\n[start] ${errorMessage(err)}\n`);
  process.exit(1);
}
