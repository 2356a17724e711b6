/**
 * Docker facts the browser and the server both state: each here once.
 *
 * No Node imports (see contract/browser-safe.test.ts).
 */

/**
 * The command that moves a service's port from the ingress routing mesh to host mode, in one update.
 * `--publish-rm` removes a port by its target (container) port, so it names `target`, not `published`.
 */
export const hostModeCommand = (service: string, published: number, target = published): string =>
  `docker service update --publish-rm ${target} --publish-add mode=host,target=${target},published=${published} ${service}`;

/** The label swarm puts on a task's container: a container without it is a plain `docker run` one. */
export const SWARM_TASK_ID_LABEL = 'com.docker.swarm.task.id';

/** An image reference without the `@sha256:` digest swarm may append (as a learner typed it). */
export const withoutDigest = (ref: string): string => ref.replace(/@sha256:[0-9a-f]+$/i, '');

/** An image reference as people write it: `docker.io/library/flask_app:3.0@sha256:...` -> `flask_app:3.0`; a bare name gets no `:latest`. */
export function shortImage(ref: string): string {
  return withoutDigest(ref)
    .replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '')
    .replace(/^library\//, '');
}

/** An image reference for comparison: the short form with `:latest` when untagged. */
export function normalizeImage(ref: string): string {
  const r = shortImage(ref.trim());
  return r.lastIndexOf(':') <= r.lastIndexOf('/') ? `${r}:latest` : r;
}
