/**
 * `rollout`: a service went through a rolling update (or a rollback) from one
 * image to another. Reads what `docker service inspect --pretty` shows: the
 * update status, the previous spec and the update config.
 */
import type { CheckParams } from '@contract/checks.ts';
import type { ClusterView, ServiceJson, TaskJson } from './engine.ts';
import { type Outcome, fail, pass, NO_SWARM } from './outcome.ts';
import { currentTasks, findService, serviceImage } from './services.ts';
import { count, displayImage, normalizeImage, q } from './words.ts';

/** The parts of a service's JSON a rollout check reads (Docker Engine API 1.41). */
export interface RolloutJson {
  UpdateStatus?: { State?: string; Message?: string };
  PreviousSpec?: ServiceJson['Spec'];
  Spec: ServiceJson['Spec'] & { UpdateConfig?: { Parallelism?: number; Delay?: number } };
}

const taskImage = (t: TaskJson) => (t.Spec as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec?.Image;
const same = (a: string | undefined, b: string) => !!a && normalizeImage(a) === normalizeImage(b);

export async function checkRollout(p: CheckParams<'rollout'>, view: ClusterView): Promise<Outcome> {
  if (!(await view.swarmManager())) return fail(NO_SWARM);
  const found = findService(await view.services(), p.service.match);
  if ('missing' in found) return fail(found.missing);
  const s = found.service as ServiceJson & RolloutJson;
  const name = q(s.Spec.Name);
  const image = serviceImage(s);
  const previous = s.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image;
  const state = s.UpdateStatus?.State;
  const verb = p.state === 'rolled_back' ? 'rolled back' : 'updated';

  if (!s.PreviousSpec || !state) {
    return fail(`service ${name} has never been updated: it still runs the spec it was created with (${displayImage(image)}); change it in place with docker service ${p.state === 'rolled_back' ? 'update, then rollback' : 'update --image'}`);
  }
  if (p.state === 'rolled_back' && !state.startsWith('rollback')) {
    return fail(`service ${name} was last changed by an update (${displayImage(previous)} -> ${displayImage(image)}), not a rollback: docker service rollback ${s.Spec.Name} returns to the previous spec`);
  }
  if (p.state === 'completed' && state.startsWith('rollback')) {
    return fail(`service ${name} was rolled back (now ${displayImage(image)}); update it again with docker service update --image ${displayImage(p.image)}`);
  }
  if (!same(image, p.image)) {
    return fail(`service ${name} runs ${displayImage(image)} after its last ${p.state === 'rolled_back' ? 'rollback' : 'update'}; expected ${displayImage(p.image)}`);
  }
  if (p.from && !same(previous, p.from)) {
    return fail(`service ${name} was ${verb} from ${displayImage(previous)}; expected from ${displayImage(p.from)}`);
  }
  const cfg = s.Spec.UpdateConfig ?? {};
  if (p.parallelism !== undefined && (cfg.Parallelism ?? 1) !== p.parallelism) {
    return fail(`service ${name} updates ${cfg.Parallelism === 0 ? 'all tasks at once' : count(cfg.Parallelism ?? 1, 'task')} at a time; expected --update-parallelism ${p.parallelism}`);
  }
  const delay = (cfg.Delay ?? 0) / 1e9;
  if (p.minDelaySeconds !== undefined && delay < p.minDelaySeconds) {
    return fail(`service ${name} waits ${delay} s between update batches; expected --update-delay of at least ${p.minDelaySeconds}s`);
  }
  const done = p.state === 'rolled_back' ? 'rollback_completed' : 'completed';
  if (state !== done) {
    const why = s.UpdateStatus?.Message ? `: ${s.UpdateStatus.Message}` : '';
    return fail(`the ${p.state === 'rolled_back' ? 'rollback' : 'update'} of ${name} is ${state.replace(/_/g, ' ')}${why}`);
  }
  const current = currentTasks(await view.tasks(), s.ID);
  const stale = current.filter((t) => !same(taskImage(t), p.image));
  const running = current.filter((t) => t.Status?.State === 'running' && same(taskImage(t), p.image)).length;
  if (stale.length || running < current.length || !current.length) {
    return fail(`service ${name}: ${running} of ${count(current.length, 'task')} run ${displayImage(p.image)}`);
  }
  return pass(`service ${name} was ${verb} from ${displayImage(previous)} to ${displayImage(image)}; ${count(running, 'task')} running it`);
}
