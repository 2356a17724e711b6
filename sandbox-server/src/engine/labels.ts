/**
 * Everything the server creates carries these labels; reaping, reconcile and
 * the "nothing orphaned" tests all find our things through them.
 */
export const LABEL = {
  managed: 'swb.managed',
  instance: 'swb.instance',
  cluster: 'swb.cluster',
  node: 'swb.node',
  role: 'swb.role',
  createdAt: 'swb.created-at',
} as const;

export function clusterLabels(instance: string, clusterId: string): Record<string, string> {
  return {
    [LABEL.managed]: '1',
    [LABEL.instance]: instance,
    [LABEL.cluster]: clusterId,
    [LABEL.createdAt]: String(Date.now()),
  };
}

/** A dockerode `filters` value selecting one instance's things (or one cluster's). */
export function labelFilter(instance: string, clusterId?: string): string {
  const label = [`${LABEL.instance}=${instance}`];
  if (clusterId) label.push(`${LABEL.cluster}=${clusterId}`);
  return JSON.stringify({ label });
}
