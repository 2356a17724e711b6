import styles from './SwarmDiagram.module.css';

/**
 * The swarm in one picture: a manager and workers (nodes), two services, and
 * the tasks the manager scheduled onto the nodes, joined by an overlay
 * network. Drawn inline so it follows the theme and scales with the text.
 */
const nodes = [
  { name: 'manager', role: 'manager · leader', x: 20, tasks: [{ s: 'web', n: 1 }, { s: 'database', n: 1 }] },
  { name: 'worker-1', role: 'worker', x: 235, tasks: [{ s: 'web', n: 2 }, { s: 'database', n: 2 }] },
  { name: 'worker-2', role: 'worker', x: 450, tasks: [{ s: 'web', n: 3 }] },
] as const;

export function SwarmDiagram() {
  return (
    <figure className={styles.figure}>
      <svg viewBox="0 0 660 360" role="img" aria-labelledby="swarm-diagram-title swarm-diagram-desc" className={styles.svg}>
        <title id="swarm-diagram-title">A swarm: one manager, two workers, two services and their tasks</title>
        <desc id="swarm-diagram-desc">
          The manager node schedules the tasks of two services. Service web has three replicas: tasks web.1 on the manager, web.2 on worker-1 and
          web.3 on worker-2. Service database has two replicas: database.1 on the manager and database.2 on worker-1. All nodes are joined by the
          overlay network app.
        </desc>

        {/* services: the desired state */}
        <g>
          <rect x="20" y="12" width="300" height="58" rx="8" className={styles.serviceWeb} />
          <text x="36" y="36" className={styles.serviceName}>service: web</text>
          <text x="36" y="56" className={styles.small}>flask_app:3.0 · replicas: 3</text>
          <rect x="340" y="12" width="300" height="58" rx="8" className={styles.serviceDb} />
          <text x="356" y="36" className={styles.serviceName}>service: database</text>
          <text x="356" y="56" className={styles.small}>mysql · replicas: 2</text>
        </g>
        <text x="330" y="98" textAnchor="middle" className={styles.caption}>
          the manager schedules each replica as a task on a node ↓
        </text>

        {nodes.map((node) => (
          <g key={node.name}>
            <rect x={node.x} y="112" width="190" height="176" rx="10" className={node.name === 'manager' ? styles.manager : styles.worker} />
            <text x={node.x + 14} y="138" className={styles.nodeName}>{node.name}</text>
            <text x={node.x + 14} y="156" className={styles.small}>{node.role}</text>
            {node.tasks.map((t, i) => (
              <g key={`${t.s}.${t.n}`}>
                <rect x={node.x + 14} y={172 + i * 46} width="162" height="36" rx="18" className={t.s === 'web' ? styles.taskWeb : styles.taskDb} />
                <text x={node.x + 95} y={195 + i * 46} textAnchor="middle" className={styles.taskText}>
                  task {t.s}.{t.n}
                </text>
              </g>
            ))}
            <line x1={node.x + 95} y1="288" x2={node.x + 95} y2="318" className={styles.link} />
          </g>
        ))}

        <rect x="20" y="318" width="620" height="30" rx="15" className={styles.network} />
        <text x="330" y="338" textAnchor="middle" className={styles.networkText}>
          overlay network: app (spans every node)
        </text>
      </svg>
      <figcaption className={styles.legend}>
        <span>
          <i className={styles.legendManager} /> manager node
        </span>
        <span>
          <i className={styles.legendWorker} /> worker node
        </span>
        <span>
          <i className={styles.legendWeb} /> web tasks
        </span>
        <span>
          <i className={styles.legendDb} /> database tasks
        </span>
      </figcaption>
    </figure>
  );
}
