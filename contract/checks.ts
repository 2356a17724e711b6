/**
 * The check vocabulary: how a lesson's frontmatter says what "done" means for
 * an exercise. The server evaluates these against the learner's nodes through
 * the Docker Engine API (sandbox-server/src/checks/); the lesson loader
 * validates them at build and test time with the same schema. Each kind is one
 * entry of `checkKinds` below.
 *
 * A check is an object with exactly one kind as its key:
 *
 *     check:
 *       service: { match: { name: database }, replicas: 1, networks: [app] }
 *
 * `all: [...]` / `any: [...]` combine checks. At the top of an exercise's
 * check, `hold: true` says the state must keep holding (the exercise turns
 * back from passed when it stops being true); otherwise a passed exercise
 * stays passed.
 *
 * Browser-safe: imports only zod and the protocol (./lesson.ts, which the
 * browser bundles, imports this file). The `.describe()` texts are the lesson writer's
 * documentation.
 */
import { z } from 'zod';
import { LAB_DIR, nodeName } from './protocol.ts';

const port = z.number().int().min(1).max(65535);
const name = z.string().trim().min(1).max(120);

const imageRef = z
  .string()
  .trim()
  .min(1)
  .describe('An image as the learner types it, e.g. `flask_app:3.0` (no tag = `latest`). A digest that swarm appends (`@sha256:...`) is ignored.');

export const serviceMatch = z
  .union([
    z.strictObject({ name: name.describe('The service name, e.g. `database` (for a stack: `stack_service`).') }),
    z.strictObject({
      image: imageRef,
      port: port.describe('A port the service publishes (published or target port), e.g. 5000.'),
    }),
  ], { error: 'match: give either { name } or { image, port }' })
  .describe('How to find the service: by name, or (for services created without --name) by image and port.');
export type ServiceMatch = z.infer<typeof serviceMatch>;

const serviceRef = z.strictObject({ match: serviceMatch }).describe('The service, found as in a `service` check.');

const portSpec = z
  .strictObject({
    published: port.describe('Port on the nodes.'),
    target: port.describe('Port inside the container.'),
    protocol: z.enum(['tcp', 'udp', 'sctp']).optional().describe('Defaults to any.'),
    mode: z.enum(['ingress', 'host']).optional().describe('Publish mode; omitted = either (on hosts without IPVS only `host` answers).'),
  })
  .describe('A published port.');

const mountSpec = z
  .strictObject({
    type: z.enum(['bind', 'volume', 'tmpfs']),
    source: z.string().min(1).optional().describe('Host path (bind) or volume name.'),
    target: z.string().min(1).describe('Path inside the container.'),
    readOnly: z.boolean().optional(),
  })
  .describe('A mount of the service\'s containers.');

/**
 * What a kind's parameter names in its lesson: a node of the lesson's cluster, or one of its lab
 * files. The content linter finds these parameters through this registry (`lessonRefsOf`), so a new
 * kind that takes a node or a lab file is checked against the lesson without a rule of its own.
 */
export type LessonRefKind = 'node' | 'labFile';
const lessonRefs = z.registry<{ names: LessonRefKind }>();

/** A node of the lesson's cluster (a clone: described copies inherit the mark, protocol's `nodeName` stays unmarked). */
const nodeRef = nodeName.clone().register(lessonRefs, { names: 'node' });

const labFile = z
  .string()
  .regex(new RegExp(`^${LAB_DIR}/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`), `path: a file under ${LAB_DIR}/, e.g. ${LAB_DIR}/docker-stack.yml`)
  .refine((p) => !p.split('/').includes('..'), `path must stay inside ${LAB_DIR}`)
  .register(lessonRefs, { names: 'labFile' });

// ---------------------------------------------------------------- the registry

/**
 * Every check kind, once: the key is the kind's name in frontmatter, the schema its parameters
 * (with the lesson writer's `.describe()` text). The `Check` type, the kind list in the loader's
 * messages and the parameter types follow from this object; the server's dispatch
 * (sandbox-server/src/checks/kinds.ts) is typed over its keys, so a kind added here does not
 * typecheck until it has an evaluator. `all` / `any` are not kinds but combinators (below).
 */
export const checkKinds = {
  swarm: z
    .strictObject({
      node: nodeRef.describe('The node whose engine is asked.'),
      state: z.enum(['active', 'inactive']).default('active').describe('Swarm membership of that engine (default active).'),
      role: z.enum(['manager', 'worker']).optional().describe('Its role in the swarm.'),
    })
    .describe('A node\'s engine is (or is not) in swarm mode, with a role.'),

  nodes: z
    .strictObject({
      count: z.number().int().min(1).optional().describe('Nodes in the swarm that are ready.'),
      managers: z.number().int().min(1).optional().describe('How many of them are managers.'),
      workers: z.number().int().min(0).optional().describe('How many of them are workers.'),
      active: z.number().int().min(0).optional().describe('How many of them are available to the scheduler (availability Active, not drained or paused).'),
    })
    .refine((p) => p.count !== undefined || p.managers !== undefined || p.workers !== undefined || p.active !== undefined, 'nodes: give count, managers, workers or active')
    .describe('The swarm\'s members, as `docker node ls` shows them.'),

  service: z
    .strictObject({
      match: serviceMatch,
      image: imageRef.optional().describe('The image the service runs.'),
      replicas: z.number().int().min(0).optional().describe('Desired replicas (replicated mode).'),
      running: z.number().int().min(0).optional().describe('At least this many tasks running.'),
      ports: z.array(portSpec).optional().describe('Ports it must publish (others may exist too).'),
      env: z.record(z.string(), z.string()).optional().describe('Environment variables its containers get (others may exist too).'),
      mounts: z.array(mountSpec).optional().describe('Mounts its containers must have.'),
      networks: z.array(name).optional().describe('Networks (by name) it must be attached to.'),
      constraints: z.array(z.string().min(1)).optional().describe('Placement constraints it must have, e.g. `node.role==manager` (spaces ignored).'),
      endpointMode: z.enum(['vip', 'dnsrr']).optional().describe('How other services reach it: a virtual IP (needs IPVS) or DNS round robin.'),
      create: z.string().trim().min(1).optional().describe('The command that creates the service, offered (with a Run button) while it is missing.'),
    })
    .describe('A swarm service exists with these settings.'),

  network: z
    .strictObject({
      name: name.describe('Network name.'),
      driver: z.string().min(1).optional().describe('e.g. overlay or bridge.'),
      scope: z.enum(['swarm', 'local', 'global']).optional().describe('swarm for networks that span the nodes.'),
    })
    .describe('A network exists (asked on the swarm manager, or on `manager` without a swarm).'),

  spread: z
    .strictObject({
      service: serviceRef,
      minNodes: z.number().int().min(1).describe('Running tasks must be on at least this many different nodes.'),
    })
    .describe('A service\'s running tasks are spread over nodes.'),

  rescheduled: z
    .strictObject({ service: serviceRef })
    .describe('Swarm replaced one of the service\'s tasks because its container died or its node went down or was drained, and the replacement runs.'),

  stack: z
    .strictObject({
      name: name.describe('Stack name as given to `docker stack deploy`.'),
      services: z.array(name).min(1).describe('Service names inside the stack (without the `stack_` prefix).'),
      file: labFile.optional().describe('The stack file, named in the deploy command the message offers while the stack is missing.'),
    })
    .describe('A stack is deployed with these services.'),

  http: z
    .strictObject({
      node: nodeRef.describe('Node whose address is asked.'),
      port: port,
      path: z.string().startsWith('/').default('/').describe('Request path (default /).'),
      contains: z.string().min(1).optional().describe('Text the response body must contain.'),
      status: z.number().int().min(100).max(599).optional().describe('Expected HTTP status (default: any answer).'),
    })
    .describe('An HTTP GET from the server to node:port answers (with this text).'),

  file: z
    .strictObject({
      node: nodeRef.describe('Node whose file is read.'),
      path: labFile,
      contains: z.string().min(1).optional().describe('Text the file must contain (omitted: it must exist).'),
    })
    .describe(`A lab file on a node (under ${LAB_DIR}) exists with this text, e.g. after an edit in the editor.`),

  container: z
    .strictObject({
      image: imageRef,
      node: nodeRef.optional().describe('Node to look on (default: any).'),
      ports: z.array(portSpec.omit({ mode: true })).optional().describe('Ports it must publish.'),
      mounts: z
        .array(z.strictObject({ source: z.string().min(1).describe('Path on the node.'), target: z.string().min(1).describe('Path inside the container.') }))
        .optional()
        .describe('Bind mounts it must have, e.g. the Docker socket.'),
      run: z.string().trim().min(1).optional().describe('The `docker run` command that starts it, offered (with a Run button) when it is missing or wrong.'),
    })
    .describe('A plain running container (not a swarm task) from this image, as `docker run` makes.'),

  node: z
    .strictObject({
      name: nodeRef.describe('The node, by hostname.'),
      availability: z.enum(['active', 'pause', 'drain']).describe('Its availability as `docker node ls` shows it.'),
      movedOff: z.boolean().optional().describe('true: swarm has moved a task off this node at least once (it was drained or went down) before.'),
    })
    .describe('A swarm node has this availability (e.g. back to active after maintenance).'),

  rollout: z
    .strictObject({
      service: serviceRef,
      image: imageRef.describe('The image the service runs once the update (or rollback) is done.'),
      from: imageRef.optional().describe('The image it ran before (its previous spec).'),
      state: z.enum(['completed', 'rolled_back']).describe('completed = an update finished; rolled_back = `docker service rollback` finished.'),
      parallelism: z.number().int().min(0).optional().describe('Update parallelism the service must have (`--update-parallelism`).'),
      minDelaySeconds: z.number().min(0).optional().describe('At least this delay between update batches (`--update-delay`).'),
    })
    .describe('A service went through a rolling update (or a rollback) from one image to another, and every running task has the new image.'),

  secret: z
    .strictObject({
      name: name.describe('The secret\'s name (`docker secret create NAME`).'),
      service: serviceRef,
      env: z.string().regex(/^[A-Z_][A-Z0-9_]*_FILE$/, 'env: a variable name ending in _FILE').optional()
        .describe('A `*_FILE` variable that must point at the secret\'s file; the same variable without `_FILE` must not be set in plain text.'),
    })
    .describe('A service is given a Docker secret (mounted under /run/secrets/), optionally read through a *_FILE variable instead of a plain one.'),
} satisfies Record<string, z.ZodType>;

/** A kind of the registry, e.g. `service`. */
export type CheckKind = keyof typeof checkKinds;

/** The parameters of a kind, as parsed (defaults filled in). */
export type CheckParams<K extends CheckKind> = z.infer<(typeof checkKinds)[K]>;

/** A check of one kind: `{ service: {...} }`. */
export type KindCheck = { [K in CheckKind]: { [P in K]: CheckParams<K> } }[CheckKind];

/** Checks that combine checks, by the same one-key shape. */
export const combinators = ['all', 'any'] as const;
export type Combinator = (typeof combinators)[number];

export type Check = KindCheck | { all: Check[] } | { any: Check[] };

/** An exercise's check: a check plus `hold`. */
export type ExerciseCheck = Check & { hold?: boolean };

/** Every word that can head a check, kinds first, for the loader's messages. */
export const checkKindNames: readonly (CheckKind | Combinator)[] = [...(Object.keys(checkKinds) as CheckKind[]), ...combinators];

/** A parameter of a parsed check that names a node or a lab file: where it is and what it says. */
export interface LessonRef {
  names: LessonRefKind;
  /** Inside the kind's parameters, e.g. `['node']`. */
  path: (string | number)[];
  value: string;
}

/**
 * The nodes and lab files a parsed check of this kind names, found by walking its schema in the
 * registry beside the parameters (objects, arrays, optional and default fields, the union option
 * that matches).
 */
export function lessonRefsOf(kind: CheckKind, params: unknown): LessonRef[] {
  const found: LessonRef[] = [];
  const walk = (schema: z.core.$ZodType, value: unknown, path: (string | number)[]): void => {
    const ref = lessonRefs.get(schema);
    if (ref) {
      if (typeof value === 'string') found.push({ names: ref.names, path, value });
    } else if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
      walk(schema.unwrap(), value, path);
    } else if (schema instanceof z.ZodObject && isPlainObject(value)) {
      for (const [key, field] of Object.entries(schema.shape)) walk(field, value[key], [...path, key]);
    } else if (schema instanceof z.ZodArray && Array.isArray(value)) {
      value.forEach((item, i) => walk(schema.element, item, [...path, i]));
    } else if (schema instanceof z.ZodUnion) {
      const option = schema.options.find((o) => z.safeParse(o, value).success);
      if (option) walk(option, value, path);
    }
  };
  walk(checkKinds[kind], params, []);
  return found;
}

/** The kind of a parsed check (its one key besides `hold`). */
export function checkKind(c: Check): CheckKind | Combinator {
  return Object.keys(c).find((k) => k !== 'hold') as CheckKind | Combinator;
}

const combined = (word: Combinator) =>
  z.lazy(() => z.array(check).min(1, `${word}: list at least one check`)).describe(`${word === 'all' ? 'Every' : 'At least one'} check in the list passes.`);

const schemaOf: Record<CheckKind | Combinator, z.ZodType> = { ...checkKinds, all: combined('all'), any: combined('any') };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One kind per object, dispatched by key, so a mistake gets a precise reason
 * ("unknown check kind `servce`", "service.replicas: expected number") instead
 * of a union's "invalid input".
 */
function checkNode(top: boolean) {
  return z.unknown().transform((input, ctx): ExerciseCheck => {
    if (!isPlainObject(input)) {
      ctx.addIssue({ code: 'custom', message: `a check is an object with one kind as its key (${checkKindNames.join(', ')})` });
      return z.NEVER;
    }
    const keys = Object.keys(input).filter((k) => !(top && k === 'hold'));
    if (top && 'hold' in input && typeof input.hold !== 'boolean') {
      ctx.addIssue({ code: 'custom', path: ['hold'], message: 'hold: true or false' });
    }
    if (!top && 'hold' in input) {
      ctx.addIssue({ code: 'custom', path: ['hold'], message: 'hold belongs at the top of the exercise\'s check, not inside all/any' });
      return z.NEVER;
    }
    if (keys.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: keys.length
          ? `a check has exactly one kind, found ${keys.join(', ')}: combine several with all: [...]`
          : `a check needs a kind: ${checkKindNames.join(', ')}`,
      });
      return z.NEVER;
    }
    const kind = keys[0]!;
    if (!Object.hasOwn(schemaOf, kind)) {
      ctx.addIssue({ code: 'custom', path: [kind], message: `unknown check kind "${kind}"; known kinds: ${checkKindNames.join(', ')}` });
      return z.NEVER;
    }
    const parsed = schemaOf[kind as CheckKind | Combinator].safeParse(input[kind]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: [kind, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message });
      }
      return z.NEVER;
    }
    const out = { [kind]: parsed.data } as Check;
    return top && typeof input.hold === 'boolean' ? { ...out, hold: input.hold } : out;
  });
}

/** A check (inside all/any, or standing alone). */
export const check: z.ZodType<Check, unknown> = checkNode(false) as z.ZodType<Check, unknown>;

/** The `check:` of an exercise in lesson frontmatter. */
export const exerciseCheck = checkNode(true).describe(
  `How the server verifies the exercise against the learner's cluster: one of ${checkKindNames.join(', ')}; hold: true = must keep holding.`,
);
