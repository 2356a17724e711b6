/**
 * What checks read from a learner's cluster, behind one small interface so
 * the check logic is pure and unit-tested with JSON captured from a real
 * engine (fixtures/engine-sample.json, read through test/helpers/static-view.ts),
 * and the live implementation stays a thin, memoised layer over the inner
 * Docker APIs.
 *
 * The JSON types below name only the fields checks use (Docker Engine API 1.41).
 */

export interface EngineInfo {
  Name?: string;
  Swarm?: {
    NodeID?: string;
    LocalNodeState?: 'inactive' | 'pending' | 'active' | 'error' | 'locked' | string;
    ControlAvailable?: boolean;
    Error?: string;
  };
}

export interface PortJson {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host' | string;
}

export interface ServiceJson {
  ID: string;
  CreatedAt?: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate?: {
      ContainerSpec?: {
        Image?: string;
        Env?: string[];
        Mounts?: { Type?: string; Source?: string; Target?: string; ReadOnly?: boolean }[];
      };
      Placement?: { Constraints?: string[] };
      Networks?: { Target: string; Aliases?: string[] }[];
      ForceUpdate?: number;
    };
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    EndpointSpec?: { Mode?: 'vip' | 'dnsrr' | string; Ports?: PortJson[] };
    /** Old API versions put networks here. */
    Networks?: { Target: string }[];
  };
  Endpoint?: { Ports?: PortJson[] };
}

export interface TaskJson {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Spec?: unknown;
  Status?: { State?: string; Message?: string; Err?: string; Timestamp?: string };
}

export interface SwarmNodeJson {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: 'manager' | 'worker' | string; Availability?: string };
  Status?: { State?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string };
}

export interface NetworkJson {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
}

export interface ContainerJson {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Labels?: Record<string, string>;
  Ports?: { PrivatePort?: number; PublicPort?: number; Type?: string; IP?: string }[];
  Mounts?: { Type?: string; Source?: string; Destination?: string; RW?: boolean }[];
}

export type HttpAnswer =
  | { ok: true; status: number; body: string }
  | { ok: false; error: string };

/**
 * One consistent read of a cluster for one round of checks. Implementations
 * memoise, so a round with many checks asks each engine each question once.
 */
export interface ClusterView {
  /** Node names of the cluster, manager first. */
  readonly nodeNames: readonly string[];
  /** Whether this host has IPVS (swarm VIPs and the ingress routing mesh need it). */
  readonly ipvs: boolean;
  /** The engine's /info, or null when it does not answer. */
  info(node: string): Promise<EngineInfo | null>;
  /** The node whose engine answers swarm questions (prefers `manager`), or null without a swarm. */
  swarmManager(): Promise<string | null>;
  /** Swarm objects, read on swarmManager(); empty without a swarm. */
  services(): Promise<ServiceJson[]>;
  tasks(): Promise<TaskJson[]>;
  swarmNodes(): Promise<SwarmNodeJson[]>;
  /** Networks as seen by a node's engine; null when it does not answer. */
  networks(node: string): Promise<NetworkJson[] | null>;
  /** Running containers of a node's engine; null when it does not answer. */
  containers(node: string): Promise<ContainerJson[] | null>;
  /** GET http://<node ip>:<port><path> from the server. */
  http(node: string, port: number, path: string): Promise<HttpAnswer>;
  /** A file's text from the node's file system, or null when it does not exist. */
  file(node: string, path: string): Promise<string | null>;
}
