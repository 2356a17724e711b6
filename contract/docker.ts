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
