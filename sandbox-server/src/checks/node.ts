/** `node`: a swarm node's availability (active, pause, drain), e.g. back to active after maintenance. */
import type { CheckParams } from '@contract/checks.ts';
import type { ClusterView, SwarmNodeJson, TaskJson } from './engine.ts';
import { type Outcome, fail, pass, NO_SWARM } from './outcome.ts';
import { q } from './words.ts';

/**
 * A task on this node that swarm shut down (not failed) while a newer task with the same spec took its
 * slot: the node was drained or went down. A rolling update changes the spec; a scale-down adds no task.
 */
export function movedOffNode(tasks: TaskJson[], node: SwarmNodeJson): boolean {
  return tasks.some(
    (old) =>
      old.NodeID === node.ID &&
      old.DesiredState === 'shutdown' &&
      old.Status?.State === 'shutdown' &&
      !!old.Slot &&
      tasks.some(
        (t) => t !== old && t.ServiceID === old.ServiceID && t.Slot === old.Slot && (t.CreatedAt ?? '') > (old.CreatedAt ?? '') && JSON.stringify(t.Spec) === JSON.stringify(old.Spec),
      ),
  );
}

export async function checkNode(p: CheckParams<'node'>, view: ClusterView): Promise<Outcome> {
  if (!(await view.swarmManager())) return fail(NO_SWARM);
  const nodes = await view.swarmNodes();
  const node = nodes.find((n) => n.Description?.Hostname === p.name);
  if (!node) return fail(`${q(p.name)} is not a member of the swarm`);
  const now = node.Spec?.Availability ?? 'active';
  if (now !== p.availability) {
    const how = `docker node update --availability ${p.availability} ${p.name}`;
    return fail(`${q(p.name)} is ${now === 'drain' ? 'still drained' : now === 'pause' ? 'paused' : now} (expected ${p.availability}): ${how}`);
  }
  if (p.movedOff && !(await view.tasks().then((t) => movedOffNode(t, node)))) {
    return fail(`swarm has not moved any task off ${q(p.name)} yet: drain it first (docker node update --availability drain ${p.name})`);
  }
  return pass(`${q(p.name)} is ${p.availability}${p.movedOff ? ' again after swarm moved its tasks away' : ''}`);
}
