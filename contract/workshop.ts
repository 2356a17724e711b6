/**
 * The workshop part of the browser <-> server contract: HTTP bodies, the
 * instructor's dashboard socket and the learner's workshop socket.
 *
 * No Node imports: the browser bundle imports this file too. Kept beside
 * `index.ts` (same prefix, same conventions) so the two sockets of a learner
 * page stay independent: a workshop notice never rides on the terminal socket.
 */
import { z } from 'zod';
import { clusterNodes } from './lesson.ts';
import { SANDBOX_PREFIX, lessonSlug, nodeName, type NodeName } from './protocol.ts';

const base = `${SANDBOX_PREFIX}/workshops`;
export const workshopPaths = {
  /** POST: create a workshop. */
  create: base,
  /** GET: what the join page shows for a code; POST: join with a display name. */
  join: (code: string) => `${base}/join/${encodeURIComponent(code)}`,
  /** The learner's own workshop socket (notices, "your instructor is watching"). */
  learnerWs: `${base}/learner/ws`,
  /** POST { key }: trade the instructor link's key for an HttpOnly cookie. */
  auth: (id: string) => `${base}/${id}/auth`,
  dashboard: (id: string) => `${base}/${id}/dashboard`,
  ws: (id: string) => `${base}/${id}/ws`,
  csv: (id: string) => `${base}/${id}/progress.csv`,
  prewarm: (id: string) => `${base}/${id}/prewarm`,
  end: (id: string) => `${base}/${id}/end`,
} as const;

/** The cookie that carries an instructor's secret after the first visit (one per workshop). */
export const instructorCookie = (id: string) => `swb_instructor_${id}`;

export const workshopId = z.string().regex(/^[a-z0-9]{12}$/, 'workshop id: 12 lowercase letters or digits');
/** Short, typed by people from a projector: no 0/O, 1/I/L. */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const joinCode = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.string().regex(/^[A-HJKMNP-Z2-9]{6}$/, 'a join code is 6 letters and digits'));
export const displayName = z
  .string()
  .transform((s) => s.trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, 'enter a name')
      .max(40, 'names are limited to 40 characters')
      .refine((s) => ![...s].some((c) => c < ' ' || c === '<' || c === '>'), 'no control characters or < >'),
  );

// ---------------------------------------------------------------- HTTP bodies
export const createWorkshopRequest = z.object({
  title: z.string().trim().min(1).max(120).describe('Shown to learners on the join page.'),
  lessons: z.array(lessonSlug).min(1).max(50).describe('Lesson slugs in order; learners land in the first.'),
  capacity: z.number().int().min(1).max(200).describe('Most learners that may join.'),
  expected: z.number().int().min(0).max(200).default(0).describe('Learners expected: this many clusters are warmed up shortly before the start.'),
  startsAt: z.number().int().optional().describe('ms epoch; default now.'),
  durationMin: z.number().int().min(5).max(7 * 24 * 60).default(180).describe('After this the workshop ends by itself.'),
  learnersMayReset: z.boolean().default(true).describe('Whether learners may reset their own cluster.'),
});
export type CreateWorkshopRequest = z.input<typeof createWorkshopRequest>;

export const createWorkshopResponse = z.object({
  id: workshopId,
  joinCode: z.string(),
  /** Paths (the browser adds its origin): share joinUrl; keep instructorUrl private. */
  joinUrl: z.string(),
  instructorUrl: z.string(),
  /** Set when the workshop has more places than this host serves in its window (it is created all the same). */
  warning: z.string().optional(),
});
export type CreateWorkshopResponse = z.infer<typeof createWorkshopResponse>;

export const joinInfo = z.object({
  title: z.string(),
  open: z.boolean(),
  /** Why joining is not possible now (ended, full), in words for the learner. */
  reason: z.string().optional(),
  /** Set when this browser already joined: a rejoin needs no name. */
  you: z.object({ name: z.string(), lesson: lessonSlug }).optional(),
});
export type JoinInfo = z.infer<typeof joinInfo>;

export const joinRequest = z.object({ name: displayName });
export const joinResponse = z.object({ lesson: lessonSlug, name: z.string() });
export type JoinResponse = z.infer<typeof joinResponse>;

// ---------------------------------------------------------------- dashboard
export const learnerHealth = z.enum(['ready', 'provisioning', 'resetting', 'failed', 'gone']);

/** A fault the instructor fires on every learner's cluster at once ("watch the swarm heal"). */
export const classFault = z.discriminatedUnion('kind', [
  /** docker node update --availability drain NODE: its tasks move to the other nodes. */
  z.object({ kind: z.literal('drain'), node: nodeName }),
  /** Freeze the node's Docker engine for a while (SIGSTOP, then SIGCONT): the manager marks it down and reschedules. */
  z.object({ kind: z.literal('stopEngine'), node: nodeName, seconds: z.number().int().min(10).max(600).default(60) }),
  /** Remove one running task container of a service (by name, or by image such as flask_app). */
  z.object({ kind: z.literal('killTask'), service: z.string().trim().min(1).max(120).regex(/^[A-Za-z0-9._/:-]+$/, 'service: a service name or image') }),
  /** Undo a drain: docker node update --availability active NODE. */
  z.object({ kind: z.literal('activate'), node: nodeName }),
]);
export type ClassFault = z.infer<typeof classFault>;
export type ClassFaultInput = z.input<typeof classFault>;

/** One learner's side of a class fault: queued, applied, then watched until the swarm has healed (or time ran out). */
export const faultStatus = z.object({
  label: z.string(),
  state: z.enum(['waiting', 'firing', 'healing', 'recovered', 'unrecovered', 'skipped']),
  /** What is still wrong, why it was skipped, or how the swarm healed. */
  message: z.string().optional(),
  firedAt: z.number().optional(),
  /** Time from the fault to a healed swarm. */
  recoveredMs: z.number().optional(),
});
export type FaultStatus = z.infer<typeof faultStatus>;

export const dashboardLearner = z.object({
  id: z.string(),
  name: z.string(),
  joinedAt: z.number(),
  health: learnerHealth,
  /** Human words while the cluster is starting or broken. */
  healthNote: z.string().optional(),
  online: z.boolean(),
  /** The node names of the learner's cluster, manager first (absent while it has none): clusters have 0 to 9 workers. */
  nodes: z.array(nodeName).optional(),
  lesson: lessonSlug.nullable(),
  lastProgressAt: z.number().nullable(),
  /** No exercise passed for a while although the learner is online. */
  stuck: z.boolean(),
  /** `lesson/exerciseId` of every passed exercise. */
  passed: z.array(z.string()),
  /** The exercise the learner works on (first unpassed one of their lesson) and its latest check message. */
  working: z.object({ key: z.string(), message: z.string() }).optional(),
  /** "Bring everyone to lesson N": earlier solutions being applied on this learner's cluster. */
  catchUp: z
    .object({
      lesson: lessonSlug,
      done: z.number().int(),
      total: z.number().int(),
      state: z.enum(['waiting', 'running', 'done', 'stopped']),
      /** What is being applied, or why it stopped. */
      message: z.string().optional(),
    })
    .optional(),
  /** The latest class fault on this learner's cluster and whether it healed. */
  fault: faultStatus.optional(),
});
export type DashboardLearner = z.infer<typeof dashboardLearner>;

/** The nodes a class fault can name: those of the largest cluster in the room, manager first (just the manager while none is up). */
export function classNodes(learners: readonly Pick<DashboardLearner, 'nodes'>[]): NodeName[] {
  const workers = Math.max(0, ...learners.map((l) => (l.nodes?.length ?? 1) - 1));
  return clusterNodes(workers);
}

export const dashboardExercise = z.object({
  key: z.string(),
  lesson: lessonSlug,
  exerciseId: z.string(),
  passed: z.number().int(),
  /** The room's most common check messages for learners working on this exercise, most frequent first. */
  failing: z.array(z.object({ message: z.string(), learners: z.number().int() })),
});
export type DashboardExercise = z.infer<typeof dashboardExercise>;

export const dashboard = z.object({
  workshop: z.object({
    id: workshopId,
    title: z.string(),
    lessons: z.array(lessonSlug),
    capacity: z.number().int(),
    startsAt: z.number(),
    endsAt: z.number(),
    endedAt: z.number().nullable(),
    learnersMayReset: z.boolean(),
    joinCode: z.string(),
    /** Clusters warmed for the expected head count from `prewarmAt` on. */
    expected: z.number().int(),
    prewarmAt: z.number(),
  }),
  exercises: z.array(dashboardExercise),
  learners: z.array(dashboardLearner),
  /** Pre-warm progress: clusters ready in the pool against the number asked for. */
  pool: z.object({ ready: z.number().int(), target: z.number().int(), hostLimit: z.number().int() }),
  /** The learners this host serves at once, why (what bounds it), and a warning when this workshop has more places than are left in its window. */
  host: z.object({ learners: z.number().int(), why: z.string(), warning: z.string().optional() }),
});
export type Dashboard = z.infer<typeof dashboard>;

// ---------------------------------------------------------------- instructor socket
export const instructorMessage = z.discriminatedUnion('type', [
  /** Watch a learner's terminal read-only (output arrives as binary frames on channel 0). */
  z.object({ type: z.literal('watch'), learnerId: z.string().max(40), node: nodeName }),
  z.object({ type: z.literal('unwatch') }),
  z.object({ type: z.literal('reset'), learnerId: z.string().max(40) }),
  z.object({ type: z.literal('broadcast'), text: z.string().trim().min(1).max(500) }),
  /** Every learner's page opens this lesson; earlier exercises a learner has not passed get their solutions applied. */
  z.object({ type: z.literal('bringTo'), lesson: lessonSlug }),
  /** Fire a fault on every learner's cluster; the dashboard follows each one until it healed. */
  z.object({ type: z.literal('fault'), fault: classFault }),
]);
export type InstructorMessage = z.infer<typeof instructorMessage>;

export const WATCH_CHANNEL = 0;

export const instructorServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dashboard'), dashboard }),
  /** Terminal output that follows (binary, channel 0) is this learner's shell on this node. */
  z.object({ type: z.literal('watching'), learnerId: z.string(), node: nodeName, name: z.string() }),
  z.object({ type: z.literal('unwatched'), reason: z.string() }),
  z.object({ type: z.literal('notice'), text: z.string() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type InstructorServerMessage = z.infer<typeof instructorServerMessage>;

// ---------------------------------------------------------------- learner workshop socket
export const learnerWorkshopMessage = z.discriminatedUnion('type', [
  /** The lesson the learner's page shows (the dashboard's "current lesson"). */
  z.object({ type: z.literal('lesson'), lesson: lessonSlug.nullable() }),
]);
export type LearnerWorkshopMessage = z.infer<typeof learnerWorkshopMessage>;

export const learnerWorkshopServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('workshop'), title: z.string(), name: z.string(), lessons: z.array(lessonSlug), learnersMayReset: z.boolean() }),
  z.object({ type: z.literal('notice'), text: z.string(), at: z.number() }),
  z.object({ type: z.literal('watched'), watching: z.boolean() }),
  /** `catchingUp`: the solutions of earlier exercises are being applied on this learner's cluster. */
  z.object({ type: z.literal('goto'), lesson: lessonSlug, catchingUp: z.boolean().optional() }),
  z.object({ type: z.literal('ended') }),
]);
export type LearnerWorkshopServerMessage = z.infer<typeof learnerWorkshopServerMessage>;

/** Close codes of the workshop sockets. */
export const workshopCloseCodes = {
  /** Not the instructor of this workshop / not a learner in a workshop: do not come back. */
  forbidden: 4403,
  ended: 4410,
} as const;
