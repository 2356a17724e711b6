/**
 * The one contract between the browser and the sandbox server.
 *
 * No Node imports here: the browser bundle imports this file too. Every JSON
 * frame is validated with these schemas on the receiving side; terminal bytes
 * travel as binary frames: [channel: u8][payload bytes].
 */
import { z } from 'zod';

/** URL paths, all under one prefix so the web app and the sandbox share a port. */
export const SANDBOX_PREFIX = '/sandbox';
export const paths = {
  ws: `${SANDBOX_PREFIX}/ws`,
  session: `${SANDBOX_PREFIX}/session`,
  /** POST: the learner acted (focus, keystroke, Run, Start): give this session its cluster. */
  claim: `${SANDBOX_PREFIX}/cluster/claim`,
  files: `${SANDBOX_PREFIX}/files`,
  reset: `${SANDBOX_PREFIX}/cluster/reset`,
  health: `${SANDBOX_PREFIX}/health`,
  /** `/sandbox/preview/<clusterId>/<node>/<port>/...`: HTTP to a port published on a learner's node. */
  preview: `${SANDBOX_PREFIX}/preview`,
} as const;

/** Where the browser opens a published port of one of its nodes (always with the trailing slash). */
export function previewPath(clusterId: string, node: string, port: number): string {
  return `${paths.preview}/${clusterId}/${node}/${port}/`;
}

export const SESSION_COOKIE = 'swb_session';

/** Biggest JSON control frame we accept. Terminal input is capped separately. */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024;
/** Biggest single binary input frame (a huge paste is split by the client). */
export const MAX_INPUT_FRAME_BYTES = 64 * 1024;
/** The browser acknowledges output in steps of this many bytes (flow control). */
export const ACK_STEP_BYTES = 64 * 1024;

/** Hostnames inside a cluster: manager, worker-1, worker-2, ... */
export const nodeName = z.string().regex(/^(manager|worker-[1-9][0-9]?)$/, 'node must be manager or worker-N');
export type NodeName = z.infer<typeof nodeName>;

/** The terminal id of a node's main tab (the browser's first shell on it; the instructor watches this one). */
export function defaultTerminalId(node: string): string {
  return `t-${node}`;
}

const terminalId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'terminalId: 1-40 letters, digits, _ or -');
/** A lesson's slug: its file name `NN-slug.mdx` without number and extension. */
export const lessonSlug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lesson: lowercase letters, digits and single dashes').max(80);
/** An exercise id, unique within its lesson. */
export const exerciseRef = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'exerciseId: lowercase letters, digits and single dashes').max(80);
const dimension = z.number().int().min(2).max(1000);

// ---------------------------------------------------------------- browser -> server
export const clientMessage = z.discriminatedUnion('type', [
  /** Open (or reattach to) a shell. `offset` = output bytes the client already has; omitted = replay all. */
  z.object({
    type: z.literal('open'),
    terminalId,
    node: nodeName,
    cols: dimension,
    rows: dimension,
    offset: z.number().int().min(0).optional(),
  }),
  z.object({ type: z.literal('resize'), terminalId, cols: dimension, rows: dimension }),
  /** Total output bytes of this terminal the client has processed (flow control). */
  z.object({ type: z.literal('ack'), terminalId, offset: z.number().int().min(0) }),
  /** Stop receiving this terminal (the shell keeps running for a later reattach). */
  z.object({ type: z.literal('detach'), terminalId }),
  z.object({ type: z.literal('ping'), id: z.number().int().optional() }),
  /** The lesson this page shows (null: none): its exercises are checked live and reported in `checks`. */
  z.object({ type: z.literal('watch'), lesson: lessonSlug.nullable() }),
  /** Check now (one exercise, or every exercise of the lesson); answered with `checks`. */
  z.object({ type: z.literal('check'), lesson: lessonSlug, exerciseId: exerciseRef.optional() }),
  /** Run the exercise's solution commands on the learner's nodes; answered with `applied`, then `checks`. */
  z.object({ type: z.literal('apply'), lesson: lessonSlug, exerciseId: exerciseRef }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

// ---------------------------------------------------------------- server -> browser
/** `unclaimed`: a session whose learner has not acted yet; a page view never takes a cluster. */
export const clusterStatus = z.enum(['unclaimed', 'provisioning', 'ready', 'resetting', 'failed', 'expired']);
export type ClusterStatus = z.infer<typeof clusterStatus>;

export const nodeInfo = z.object({ name: nodeName, role: z.enum(['manager', 'worker']), ip: z.string() });
export type NodeInfo = z.infer<typeof nodeInfo>;

export const clusterInfo = z.object({
  status: clusterStatus,
  /** Human-readable progress while provisioning, e.g. "starting nodes (2/3)". */
  progress: z.string().optional(),
  /** 0..1 while provisioning. */
  fraction: z.number().min(0).max(1).optional(),
  nodes: z.array(nodeInfo),
  expiresAt: z.number().optional(),
  /** What the host cannot do, e.g. no IPVS: ingress publishing and VIPs do not work. */
  hostLimits: z.array(z.string()).default([]),
});
export type ClusterInfo = z.infer<typeof clusterInfo>;

// ---------------------------------------------------------------- cluster picture (visualizer, port preview)
/**
 * What the learner's swarm looks like, read by the server from a manager's Docker API whenever the
 * nodes' engines report an event, and pushed as `clusterState` only when it changed. Compact on
 * purpose: 10 nodes and 100 tasks stay well under 64 KB.
 */
export const swarmState = z.enum(['inactive', 'pending', 'active', 'locked', 'error', 'unreachable']).describe(
  'The swarm as the source node sees it; `unreachable` = no node engine answered.',
);

export const swarmNodeView = z.object({
  id: z.string(),
  hostname: z.string(),
  /** The learner node (terminal tab) this swarm node is, when known. */
  node: nodeName.optional(),
  role: z.enum(['manager', 'worker']),
  /** ready, down, disconnected, unknown */
  status: z.string(),
  /** active, pause, drain */
  availability: z.string(),
  leader: z.boolean(),
  addr: z.string().optional(),
});
export type SwarmNodeView = z.infer<typeof swarmNodeView>;

export const portProtocol = z.enum(['tcp', 'udp', 'sctp']);

export const servicePort = z.object({
  published: z.number().int(),
  target: z.number().int(),
  protocol: portProtocol,
  mode: z.enum(['ingress', 'host']),
});

export const swarmServiceView = z.object({
  id: z.string(),
  name: z.string(),
  /** Image without registry noise or digest, e.g. `flask_app:3.0`. */
  image: z.string(),
  mode: z.enum(['replicated', 'global', 'replicated-job', 'global-job']),
  /** Desired replicas; null for global services. */
  replicas: z.number().int().nullable(),
  /** Tasks whose current state is running. */
  running: z.number().int(),
  endpointMode: z.enum(['vip', 'dnsrr']),
  ports: z.array(servicePort),
  constraints: z.array(z.string()),
  /** Position in creation order: stable colours (a new service never recolours the others). */
  order: z.number().int(),
});
export type SwarmServiceView = z.infer<typeof swarmServiceView>;

export const swarmTaskView = z.object({
  id: z.string(),
  serviceId: z.string(),
  /** null while the scheduler has not placed it (e.g. no node matches its constraints). */
  nodeId: z.string().nullable(),
  /** Replica number (`web.2`); null for global services. */
  slot: z.number().int().nullable(),
  /** new, pending, assigned, accepted, preparing, starting, running, ... */
  state: z.string(),
  desiredState: z.string(),
  image: z.string(),
  /** The scheduler's or engine's word on it, e.g. "no suitable node" or an error. */
  message: z.string().optional(),
  error: z.string().optional(),
});
export type SwarmTaskView = z.infer<typeof swarmTaskView>;

/** A port that answers (or should) on a learner node, and where the browser opens it. */
export const publishedPortView = z.object({
  node: nodeName,
  port: z.number().int(),
  target: z.number().int(),
  protocol: portProtocol,
  /** host = service published with mode=host; ingress = routing mesh; container = `docker run -p`. */
  kind: z.enum(['host', 'ingress', 'container']),
  /** Service or container name. */
  owner: z.string(),
  /** Preview path for TCP ports, null otherwise. */
  url: z.string().nullable(),
  /** Why it will not answer on this host (ingress without IPVS), if so. */
  problem: z.string().optional(),
});
export type PublishedPortView = z.infer<typeof publishedPortView>;

/**
 * What in the cluster an exercise is about, so the cluster picture can highlight it until the
 * exercise passes: a service by name, or (for services created without --name) by image and port.
 */
export const clusterFocus = z.object({
  service: z.string().optional(),
  image: z.string().optional(),
  port: z.number().int().optional(),
});
export type ClusterFocus = z.infer<typeof clusterFocus>;

export const clusterState = z.object({
  swarm: swarmState,
  /** The node whose API this was read from (a manager when the swarm is active). */
  source: nodeName.nullable(),
  /** What the learner should know, e.g. "No swarm yet: run docker swarm init on the manager." */
  message: z.string().optional(),
  nodes: z.array(swarmNodeView),
  /** Learner nodes that are not (yet) in the swarm. */
  outside: z.array(nodeName),
  services: z.array(swarmServiceView),
  /** Tasks the swarm wants running (desired state running or ready). */
  tasks: z.array(swarmTaskView),
  ports: z.array(publishedPortView),
  /** Images nodes are pulling for tasks right now (the status line says so); absent when none. */
  pulling: z.array(z.object({ node: nodeName, image: z.string() })).optional(),
});
export type ClusterState = z.infer<typeof clusterState>;

export const errorCode = z.enum([
  'bad_frame',
  'frame_too_large',
  'unknown_node',
  'unknown_terminal',
  'not_ready',
  'exec_failed',
  'too_many_terminals',
  'unknown_lesson',
  'unknown_exercise',
  'internal',
]);
export type ErrorCode = z.infer<typeof errorCode>;

/**
 * An exercise's state: `passed` (stays passed unless the exercise must hold), `pending` (not yet
 * reached; `message` says what is still missing) or `failed` (the learner asked for a check and it
 * did not pass).
 */
export const exerciseState = z.enum(['pending', 'passed', 'failed']);
export type ExerciseState = z.infer<typeof exerciseState>;

export const checkResult = z.object({
  exerciseId: exerciseRef,
  state: exerciseState,
  /** What is expected and what is there, e.g. "service `database` is not attached to network `app` (attached: none)". */
  message: z.string(),
  /** Something this host cannot do that matters here (no IPVS), in plain words. */
  hostNote: z.string().optional(),
  /** What in the cluster the exercise is about (the cluster picture highlights it). */
  focus: clusterFocus.optional(),
});
export type CheckResult = z.infer<typeof checkResult>;

export const appliedStep = z.object({
  node: nodeName,
  run: z.string(),
  exitCode: z.number().int().nullable(),
  /** stdout and stderr, interleaved, truncated to the last few KiB. */
  output: z.string(),
});
export type AppliedStep = z.infer<typeof appliedStep>;

export const serverMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cluster'), cluster: clusterInfo }),
  /**
   * A terminal is attached on `channel`. Output replayed after this message
   * starts at byte `offset` of the terminal's stream (earlier bytes were dropped
   * from the scrollback if `offset` > what the client asked for).
   */
  z.object({ type: z.literal('opened'), terminalId, node: nodeName, channel: z.number().int().min(0).max(255), offset: z.number().int().min(0) }),
  z.object({ type: z.literal('exited'), terminalId, code: z.number().int().nullable() }),
  z.object({ type: z.literal('error'), code: errorCode, message: z.string(), terminalId: terminalId.optional() }),
  z.object({ type: z.literal('pong'), id: z.number().int().optional() }),
  /** The cluster picture changed (also sent once when a socket opens on a ready cluster). */
  z.object({ type: z.literal('clusterState'), state: clusterState }),
  /** Exercise results of a watched lesson: every exercise, sent whenever one of them changes. */
  z.object({ type: z.literal('checks'), lesson: lessonSlug, results: z.array(checkResult) }),
  /** What `apply` ran, step by step; `ok` = every step exited 0. */
  z.object({ type: z.literal('applied'), lesson: lessonSlug, exerciseId: exerciseRef, ok: z.boolean(), steps: z.array(appliedStep) }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/** WebSocket close codes that tell the client not to reconnect blindly. */
export const closeCodes = {
  /** No valid session cookie: load the page again to get one. */
  noSession: 4001,
  /** The session ran out of time; its cluster is gone. */
  sessionExpired: 4002,
  /** Another tab of the same learner took over (kept for future use). */
  replaced: 4003,
  /** The server is shutting down: reconnect after a moment. */
  serverRestart: 4004,
  /**
   * The learner's shell stopped reading input while this socket kept sending more (e.g. a paste into
   * a program that reads nothing): closed rather than queued without end; the reason says so.
   */
  inputStalled: 4005,
  /** This session already has the most sockets open at once (pages, tabs): this one was refused. */
  tooManySockets: 4006,
} as const;

// ---------------------------------------------------------------- HTTP bodies
export const sessionResponse = z.object({ cluster: clusterInfo });
export type SessionResponse = z.infer<typeof sessionResponse>;

export const fileList = z.object({ files: z.array(z.object({ path: z.string(), size: z.number() })) });
export type FileList = z.infer<typeof fileList>;

/** Lesson files live here on every node, so bind mounts work wherever a task lands. */
export const LAB_DIR = '/lab';

/** Relative path inside LAB_DIR: no absolute paths, no `..`. */
export const labPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'path: letters, digits, . _ - and / only')
  .refine((p) => !p.split('/').includes('..'), 'path must stay inside the lab folder');

export const MAX_FILE_BYTES = 512 * 1024;

// ---------------------------------------------------------------- binary frames
export function encodeBinary(channel: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(payload.length + 1);
  frame[0] = channel;
  frame.set(payload, 1);
  return frame;
}

export function decodeBinary(frame: Uint8Array): { channel: number; payload: Uint8Array } | null {
  if (frame.length < 1) return null;
  return { channel: frame[0]!, payload: frame.subarray(1) };
}
