/**
 * A ClusterView over captured JSON, for the check unit specs (sandbox-server/src/checks/*.test.ts):
 * the checks' logic runs against what a real engine answered (checks/fixtures/engine-sample.json).
 */
import type { ClusterView, ContainerJson, EngineInfo, HttpAnswer, NetworkJson, ServiceJson, SwarmNodeJson, TaskJson } from '../../sandbox-server/src/checks/engine.ts';

/** A view over captured JSON (unit specs): every node answers with the same engine data. */
export function staticView(data: {
  nodeNames?: string[];
  ipvs?: boolean;
  info?: Record<string, EngineInfo | null>;
  services?: ServiceJson[];
  tasks?: TaskJson[];
  nodes?: SwarmNodeJson[];
  networks?: NetworkJson[];
  containers?: Record<string, ContainerJson[]>;
  http?: Record<string, HttpAnswer>;
  files?: Record<string, string>;
}): ClusterView {
  const nodeNames = data.nodeNames ?? ['manager', 'worker-1', 'worker-2'];
  const info = (n: string) => data.info?.[n] ?? null;
  const manager = () => nodeNames.find((n) => n === 'manager' && info(n)?.Swarm?.ControlAvailable) ?? nodeNames.find((n) => info(n)?.Swarm?.ControlAvailable) ?? null;
  return {
    nodeNames,
    ipvs: data.ipvs ?? false,
    info: async (n) => info(n),
    swarmManager: async () => manager(),
    services: async () => (manager() ? data.services ?? [] : []),
    tasks: async () => (manager() ? data.tasks ?? [] : []),
    swarmNodes: async () => (manager() ? data.nodes ?? [] : []),
    networks: async () => data.networks ?? [],
    containers: async (n) => data.containers?.[n] ?? [],
    http: async (n, port, path) => data.http?.[`${n}:${port}${path}`] ?? { ok: false, error: 'connection refused' },
    file: async (n, path) => data.files?.[`${n}:${path}`] ?? null,
  };
}
