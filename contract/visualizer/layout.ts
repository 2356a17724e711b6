/**
 * The cluster picture as columns and boxes: one column per swarm node, one box per task under the
 * node it runs on, a colour per service. Framework-free and browser-safe: the workbench panel
 * (React) and the stand-in visualizer page (plain DOM) both draw from this, so they agree.
 */
import { shortImage } from '../docker.ts';
import type { ClusterFocus, ClusterState, SwarmNodeView, SwarmServiceView, SwarmTaskView } from '../protocol.ts';

export interface TaskBox {
  id: string;
  service: string;
  /** `web.2` for replicas, `web` plus the node for global services. */
  label: string;
  image: string;
  slot: number | null;
  state: string;
  /** running, starting (on its way), failed (error/rejected), or stopping (desired shutdown). */
  tone: 'running' | 'starting' | 'failed';
  hue: number;
  /** Error or scheduler message worth showing (e.g. "no suitable node"). */
  note?: string;
}

export interface NodeColumn {
  /** Swarm node id, or '' for the column of tasks not placed yet. */
  id: string;
  title: string;
  node: SwarmNodeView | null;
  /** e.g. "manager · leader · ready · active" */
  summary: string;
  /** ready + active: takes new tasks. */
  healthy: boolean;
  tasks: TaskBox[];
}

export interface LegendEntry {
  service: SwarmServiceView;
  hue: number;
  tasks: number;
}

export interface ClusterLayout {
  columns: NodeColumn[];
  legend: LegendEntry[];
  taskCount: number;
  /** Above this many tasks, draw boxes on one line. */
  compact: boolean;
}

/** Golden-angle steps around the colour wheel: neighbours in creation order never look alike. */
export function serviceHue(order: number): number {
  return Math.round((205 + order * 137.508) % 360);
}

/** Colours for a hue in light or dark surroundings; text on the box always has >= 4.5:1 contrast. */
export function serviceColours(hue: number, dark: boolean): { background: string; border: string; text: string } {
  return dark
    ? { background: `hsl(${hue} 45% 22%)`, border: `hsl(${hue} 70% 62%)`, text: `hsl(${hue} 30% 94%)` }
    : { background: `hsl(${hue} 80% 94%)`, border: `hsl(${hue} 60% 42%)`, text: `hsl(${hue} 60% 16%)` };
}

const FAILED = new Set(['failed', 'rejected', 'orphaned', 'remove', 'shutdown', 'complete']);

export function toneOf(task: SwarmTaskView): TaskBox['tone'] {
  if (task.state === 'running') return 'running';
  if (FAILED.has(task.state) || task.error) return 'failed';
  return 'starting';
}

export function nodeSummary(n: SwarmNodeView): string {
  return [n.role, ...(n.leader ? ['leader'] : []), n.status, n.availability].join(' · ');
}

export function layoutCluster(state: ClusterState, compactAbove = 40): ClusterLayout {
  const services = new Map(state.services.map((s) => [s.id, s]));
  const boxesByNode = new Map<string, TaskBox[]>();
  for (const task of state.tasks) {
    const service = services.get(task.serviceId);
    if (!service) continue;
    const key = task.nodeId ?? '';
    const list = boxesByNode.get(key) ?? [];
    list.push(taskBox(task, service));
    boxesByNode.set(key, list);
  }
  const byServiceThenSlot = (a: TaskBox, b: TaskBox) => a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || a.id.localeCompare(b.id);

  const columns: NodeColumn[] = state.nodes.map((n) => ({
    id: n.id,
    title: n.hostname,
    node: n,
    summary: nodeSummary(n),
    healthy: n.status === 'ready' && n.availability === 'active',
    tasks: (boxesByNode.get(n.id) ?? []).sort(byServiceThenSlot),
  }));
  // Tasks on nodes that left the swarm, or not placed at all, still belong in the picture.
  const known = new Set(state.nodes.map((n) => n.id));
  const stray = [...boxesByNode.entries()].filter(([id]) => !known.has(id)).flatMap(([, boxes]) => boxes);
  if (stray.length) {
    columns.push({ id: '', title: 'not placed', node: null, summary: 'waiting for a node that fits', healthy: false, tasks: stray.sort(byServiceThenSlot) });
  }

  const legend = state.services.map((service) => ({
    service,
    hue: serviceHue(service.order),
    tasks: state.tasks.filter((t) => t.serviceId === service.id).length,
  }));
  return { columns, legend, taskCount: state.tasks.length, compact: state.tasks.length > compactAbove };
}

function taskBox(task: SwarmTaskView, service: SwarmServiceView): TaskBox {
  const tone = toneOf(task);
  // Progress messages ("preparing", "scheduler assigned task to node") repeat the state; keep what explains a wait or a failure.
  const note = task.error ?? (task.state === 'pending' || tone === 'failed' ? task.message : undefined);
  return {
    id: task.id,
    service: service.name,
    label: task.slot !== null ? `${service.name}.${task.slot}` : service.name,
    image: task.image || service.image,
    slot: task.slot,
    state: task.state,
    tone,
    hue: serviceHue(service.order),
    ...(note ? { note } : {}),
  };
}

/** One sentence per change, for a screen reader's live region ("web.2 started on worker-1"). */
export function describeChanges(before: ClusterState | null, after: ClusterState): string[] {
  if (!before) return [];
  const name = (s: ClusterState, t: SwarmTaskView) => {
    const svc = s.services.find((x) => x.id === t.serviceId)?.name ?? 'task';
    return t.slot !== null ? `${svc}.${t.slot}` : svc;
  };
  const host = (s: ClusterState, id: string | null) => s.nodes.find((n) => n.id === id)?.hostname ?? 'no node';
  const old = new Map(before.tasks.map((t) => [t.id, t]));
  const now = new Map(after.tasks.map((t) => [t.id, t]));
  const out: string[] = [];
  for (const t of after.tasks) {
    const prev = old.get(t.id);
    if (!prev) out.push(`${name(after, t)} added on ${host(after, t.nodeId)} (${t.state})`);
    else if (prev.state !== t.state) out.push(`${name(after, t)} on ${host(after, t.nodeId)} is ${t.state}`);
  }
  for (const t of before.tasks) if (!now.has(t.id)) out.push(`${name(before, t)} removed from ${host(before, t.nodeId)}`);
  const oldNodes = new Map(before.nodes.map((n) => [n.id, n]));
  for (const n of after.nodes) {
    const prev = oldNodes.get(n.id);
    if (!prev) out.push(`node ${n.hostname} joined as ${n.role}`);
    else if (prev.status !== n.status || prev.availability !== n.availability) out.push(`node ${n.hostname} is ${n.status}, ${n.availability}`);
  }
  for (const n of before.nodes) if (!after.nodes.some((x) => x.id === n.id)) out.push(`node ${n.hostname} left the swarm`);
  return out;
}

/** Names of the services in the picture that an exercise's focus points at. */
export function focusedServices(state: ClusterState, focus: ClusterFocus): string[] {
  return state.services
    .filter((s) => {
      if (focus.service) return s.name === focus.service;
      if (!focus.image) return false;
      const want = shortImage(focus.image);
      const sameImage = s.image === want || s.image.split(':')[0] === want;
      return sameImage && (focus.port === undefined || s.ports.some((p) => p.published === focus.port || p.target === focus.port));
    })
    .map((s) => s.name);
}
