/**
 * The stand-in `dockersamples/visualizer` page (bundled into the image as page.js): the same model
 * and layout as the workbench panel, drawn with plain DOM into this folder's index.html. Its server
 * (server.py) pushes the trimmed engine answers as Server-Sent Events; every name and message is set
 * as text, never as HTML. Browser code of this image, not of the sandbox server: the root tsconfig
 * (DOM) checks it, sandbox-server/src/images/bundle.ts bundles it.
 */
import { describeChanges, layoutCluster, serviceColours, type ClusterLayout } from '@contract/visualizer/layout.ts';
import { toClusterState, type RawCluster } from '@contract/visualizer/model.ts';
import type { ClusterState } from '@contract/protocol.ts';

type Raw = RawCluster & { error?: string };

const $ = (id: string) => document.getElementById(id)!;
const dark = window.matchMedia('(prefers-color-scheme: dark)');
let last: ClusterState | null = null;
let lastRaw: Raw | null = null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function render(raw: Raw): void {
  lastRaw = raw;
  // The page cannot know which port the visitor used: no preview links, and ingress is assumed to work.
  const state = toClusterState(raw, { ipvs: true });
  const layout = layoutCluster(state);
  const changes = describeChanges(last, state);
  last = state;

  const message = $('message');
  const text = raw.error ?? state.message;
  message.hidden = !text;
  message.textContent = text ?? '';

  const running = state.tasks.filter((t) => t.state === 'running').length;
  $('summary').textContent =
    state.swarm === 'active' && state.nodes.length
      ? `${state.nodes.length} node${state.nodes.length === 1 ? '' : 's'}, ${state.services.length} service${state.services.length === 1 ? '' : 's'}, ${running}/${state.tasks.length} tasks running${changes.length ? ` · ${changes.slice(0, 3).join('; ')}` : ''}`
      : 'No swarm to show yet.';

  drawLegend(layout);
  drawColumns(layout);
}

function drawLegend(layout: ClusterLayout): void {
  const items = layout.legend.map(({ service, hue, tasks }) => {
    const c = serviceColours(hue, dark.matches);
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = c.background;
    swatch.style.borderColor = c.border;
    const ports = service.ports.map((p) => `${p.published}→${p.target}${p.mode === 'host' ? ' host' : ''}`).join(', ');
    return el('li', {}, swatch, `${service.name} (${service.image}) ${service.running}/${service.replicas ?? tasks}${ports ? ` · ${ports}` : ''}`);
  });
  $('legend').replaceChildren(...items);
}

function drawColumns(layout: ClusterLayout): void {
  const picture = $('picture');
  picture.classList.toggle('compact', layout.compact);
  picture.replaceChildren(
    ...layout.columns.map((col) => {
      const tasks = col.tasks.map((t) => {
        const c = serviceColours(t.hue, dark.matches);
        const li = el(
          'li',
          { class: `task ${t.tone}`, title: t.note ?? `${t.label} ${t.state}` },
          el('strong', {}, t.label),
          el('span', { class: 'image' }, t.image),
          el('span', { class: 'state' }, t.note ? `${t.state}: ${t.note}` : t.state),
        );
        li.style.background = c.background;
        li.style.borderColor = c.border;
        li.style.color = c.text;
        return li;
      });
      return el(
        'section',
        { class: `node${col.healthy ? '' : ' unhealthy'}`, 'aria-label': `${col.title}: ${col.summary}, ${col.tasks.length} task${col.tasks.length === 1 ? '' : 's'}` },
        el('h2', {}, col.title),
        el('p', { class: 'meta' }, col.summary),
        el('ul', { class: 'tasks' }, ...tasks),
      );
    }),
  );
}

function connect(): void {
  if (!('EventSource' in window)) return void poll();
  // Relative: the page works at / and behind a path prefix (the workbench's port preview).
  const source = new EventSource('api/events');
  source.onmessage = (e) => render(JSON.parse(e.data as string) as Raw);
  source.onerror = () => {
    $('summary').textContent = 'Lost the connection to the visualizer; retrying…';
  };
}

async function poll(): Promise<void> {
  try {
    render((await (await fetch('api/state', { cache: 'no-store' })).json()) as Raw);
  } finally {
    setTimeout(() => void poll(), 2000);
  }
}

dark.addEventListener('change', () => lastRaw && render(lastRaw));
connect();
