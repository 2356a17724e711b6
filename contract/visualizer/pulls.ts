/**
 * Which learner nodes are pulling which image right now, for the workbench's status line
 * ("pulling flask_app:3.0 on worker-1 ..."). An engine reports an image pull only when it has
 * finished, so the start is read from the swarm: a task stays `preparing` while its node pulls
 * the image (swarmkit's prepare step is the pull). The feed reads tasks on the nodes' Docker
 * events and looks again while tasks are on their way, so this follows the pull to its end.
 */
import type { NodeName, SwarmNodeView, SwarmTaskView } from '../protocol.ts';

export interface Pull {
  node: NodeName;
  image: string;
}

export function pullsOf(nodes: SwarmNodeView[], tasks: SwarmTaskView[]): Pull[] {
  const learnerNode = new Map(nodes.map((n) => [n.id, n.node]));
  const seen = new Set<string>();
  const pulls: Pull[] = [];
  for (const t of tasks) {
    if (t.state !== 'preparing' || t.desiredState !== 'running' || !t.nodeId || !t.image) continue;
    const node = learnerNode.get(t.nodeId);
    if (!node || seen.has(`${node} ${t.image}`)) continue;
    seen.add(`${node} ${t.image}`);
    pulls.push({ node, image: t.image });
  }
  return pulls.sort((a, b) => a.node.localeCompare(b.node) || a.image.localeCompare(b.image));
}

/** "pulling flask_app:3.0 on worker-1 and worker-2, mysql:8 on manager" */
export function pullText(pulls: Pull[]): string | null {
  if (!pulls.length) return null;
  const byImage = new Map<string, string[]>();
  for (const p of pulls) byImage.set(p.image, [...(byImage.get(p.image) ?? []), p.node]);
  const and = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  return `pulling ${[...byImage].map(([image, nodes]) => `${image} on ${and(nodes)}`).join(', ')} …`;
}
