/**
 * The seed path a ramp learner follows, taken from the lessons themselves (their frontmatter
 * solutions, as the server's catalog reads them for this host's IPVS fact): swarm init, the Flask
 * service, the database with its init file, the overlay network and both services on it, the app
 * showing the database's rows, the workers joining, the app scaled to 3 and the database to 2, then
 * the stack and its update to 2 replicas.
 */
import path from 'node:path';
import { LessonCatalog } from '../../sandbox-server/src/checks/catalog.ts';
import { createLogger } from '../../sandbox-server/src/log.ts';
import type { NodeName } from '@contract/protocol.ts';

export interface PathStep {
  lesson: string;
  exerciseId: string;
  /** Typed one after the other, each in its node's tab. */
  commands: { node: NodeName; run: string }[];
  /**
   * The command returns before Docker has done the work (`docker stack deploy` does not wait for its
   * services), so the time after its prompt is Docker's as much as the checker's.
   */
  detached: boolean;
}

/** lesson slug -> exercise ids, in the order the learner does them. */
const SEED_PATH: [string, string[]][] = [
  ['initialise-the-swarm', ['swarm-active']],
  ['first-service', ['app-service']],
  ['database-service', ['database-service']],
  ['overlay-network', ['overlay-network', 'services-attached', 'app-shows-rows']],
  ['scaling', ['workers-joined', 'app-spread', 'database-two']],
  ['stacks', ['stack-deployed', 'stack-updated']],
];
const DETACHED = new Set(['stack-deployed', 'stack-updated']);

export function seedPath(ipvs: boolean, lessonsDir = path.resolve('content/lessons')): PathStep[] {
  const catalog = new LessonCatalog(lessonsDir, createLogger('pretty', {}, 'error'), { ipvs });
  const steps: PathStep[] = [];
  for (const [slug, ids] of SEED_PATH) {
    const lesson = catalog.get(slug);
    if (!lesson) throw new Error(`seed path: lesson ${slug} is missing or does not parse`);
    for (const id of ids) {
      const ex = lesson.exercises.find((e) => e.id === id);
      if (!ex || ex.solution.length === 0) throw new Error(`seed path: ${slug}/${id} has no solution for this host`);
      steps.push({ lesson: slug, exerciseId: id, commands: ex.solution, detached: DETACHED.has(id) });
    }
  }
  return steps;
}
