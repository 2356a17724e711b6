import Docker from 'dockerode';
import { INNER_DOCKER_PORT } from './inner-api.ts';

/** A dockerode client for the host engine (DOCKER_HOST or the local socket). */
export function connectDocker(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || INNER_DOCKER_PORT), protocol: 'http' });
}

/** Throws a message an operator can act on when no engine answers. */
export async function pingEngine(docker: Docker): Promise<string> {
  try {
    const version = await docker.version();
    return version.Version;
  } catch (err) {
    throw new Error(
      `No Docker Engine answers (${err instanceof Error ? err.message : String(err)}). ` +
        'Start one (npm start does this on Debian as root) or set DOCKER_HOST.',
    );
  }
}

/** dockerode's "not found" errors carry statusCode 404. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}
