/**
 * The instructor's dashboard socket: live dashboard frames out, actions in,
 * and one learner terminal watched read-only (binary frames on channel 0).
 */
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { MAX_CONTROL_FRAME_BYTES, defaultTerminalId, encodeBinary, type NodeName } from '@contract/protocol.ts';
import { WATCH_CHANNEL, instructorMessage, type InstructorMessage, type InstructorServerMessage } from '@contract/workshop.ts';
import type { TerminalSession, TerminalViewer } from '../terminals/terminal.ts';
import { WorkshopError } from './errors.ts';
import type { WorkshopService } from './service.ts';
import type { WorkshopRow } from './store.ts';

/** A watcher this far behind is too slow to follow a shell: stop rather than buffer without end. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export class InstructorConnection {
  private readonly unsubscribe: () => void;
  private watched: { learnerId: string; term: TerminalSession; viewer: TerminalViewer } | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly workshop: WorkshopRow,
    private readonly service: WorkshopService,
    private readonly log: Logger,
  ) {
    this.unsubscribe = service.subscribe(workshop, (dashboard) => this.send({ type: 'dashboard', dashboard }));
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => {
      this.unwatch();
      this.unsubscribe();
    });
    ws.on('error', () => undefined);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) return this.send({ type: 'error', message: 'the dashboard is read-only: it does not type into terminals' });
    if (bytes.length > MAX_CONTROL_FRAME_BYTES) return this.send({ type: 'error', message: 'frame too large' });
    let parsed;
    try {
      parsed = instructorMessage.safeParse(JSON.parse(bytes.toString('utf8')));
    } catch {
      return this.send({ type: 'error', message: 'control frame is not valid JSON' });
    }
    if (!parsed.success) return this.send({ type: 'error', message: `invalid message: ${parsed.error.issues[0]?.message ?? 'unknown'}` });
    this.onMessage(parsed.data).catch((err) => this.send({ type: 'error', message: err instanceof WorkshopError ? err.message : errorMessage(err) }));
  }

  private async onMessage(msg: InstructorMessage): Promise<void> {
    switch (msg.type) {
      case 'watch':
        return this.watch(msg.learnerId, msg.node);
      case 'unwatch':
        this.unwatch();
        return this.send({ type: 'unwatched', reason: 'stopped watching' });
      case 'reset':
        if (this.watched?.learnerId === msg.learnerId) this.unwatch();
        this.service.reset(this.workshop, msg.learnerId);
        return this.send({ type: 'notice', text: 'Resetting the learner\'s cluster.' });
      case 'broadcast': {
        const n = this.service.broadcast(this.workshop, msg.text);
        return this.send({ type: 'notice', text: `Message sent to ${n} learner${n === 1 ? '' : 's'} online.` });
      }
      case 'bringTo': {
        const { reached, catchingUp } = this.service.bringTo(this.workshop, msg.lesson);
        const caught = catchingUp ? ` Applying earlier solutions on ${catchingUp} cluster${catchingUp === 1 ? '' : 's'}: see the Lesson column.` : '';
        return this.send({ type: 'notice', text: `${reached} learner${reached === 1 ? '' : 's'} online sent to ${msg.lesson}.${caught}` });
      }
      case 'fault': {
        const n = this.service.fireFault(this.workshop, msg.fault);
        return this.send({ type: 'notice', text: `Fault fired on ${n} cluster${n === 1 ? '' : 's'}: the Fault column shows which have healed.` });
      }
    }
  }

  private async watch(learnerId: string, node: NodeName): Promise<void> {
    this.unwatch();
    const { row, session } = this.service.learner(this.workshop, learnerId);
    const cluster = session.cluster;
    if (!cluster || session.info.status !== 'ready') throw new WorkshopError('conflict', `${row.name}'s cluster is not ready yet`);
    if (!cluster.node(node)) throw new WorkshopError('not_found', `${row.name}'s cluster has no node ${node}`);
    // The learner's own tab shell (the one they type in); started if they never opened it.
    const term = await cluster.terminal(defaultTerminalId(node), node, 80, 24);
    if (this.ws.readyState !== this.ws.OPEN) return;
    const viewer: TerminalViewer = {
      output: (data) => {
        // A read-only watcher must never slow the learner's shell down: acknowledge at once...
        term.ack(viewer, term.scrollback.end);
        this.sendBinary(data);
        // ...and give up if the instructor's connection cannot keep up.
        if (this.ws.bufferedAmount > MAX_BUFFERED) {
          this.unwatch();
          this.send({ type: 'unwatched', reason: 'your connection could not keep up with the terminal' });
        }
      },
      exited: () => {
        this.unwatch();
        this.send({ type: 'unwatched', reason: `${row.name}'s shell ended` });
      },
    };
    const replay = term.attach(viewer, undefined);
    term.ack(viewer, term.scrollback.end);
    this.watched = { learnerId, term, viewer };
    this.service.watching(learnerId, 1);
    this.log.info('instructor watches a terminal', { learner: learnerId, node });
    this.send({ type: 'watching', learnerId, node, name: row.name });
    if (replay.data.length) this.sendBinary(replay.data);
  }

  private unwatch(): void {
    if (!this.watched) return;
    this.watched.term.detach(this.watched.viewer);
    this.service.watching(this.watched.learnerId, -1);
    this.watched = null;
  }

  private send(msg: InstructorServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private sendBinary(data: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeBinary(WATCH_CHANNEL, data), { binary: true });
  }
}
