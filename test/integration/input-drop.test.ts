/**
 * Issue #18, real server, real cluster, real WebSocket: a socket closed with closeCodes.inputStalled
 * (a shell that read none of a flood) has the input it queued on the server dropped, so after the
 * browser reconnects the learner's Ctrl-C reaches the shell and the prompt comes back.
 *
 * The shell: `stty raw -echo isig` (raw, but Ctrl-C still signals), then it reads nothing until the
 * test opens a gate, then reads exactly the bytes that had gone past the server (into Docker and the
 * pty) when the socket was closed, plus a margin, and stops reading again. Ctrl-C signals only once
 * every byte before it is read (the pty handles input in order), so it gets through only if nothing
 * the server still held is ahead of it. The control is the old behaviour (nothing dropped): the same
 * Ctrl-C stays behind the server's queue (~256 KiB), its socket is held, and no prompt comes back.
 * Run: node --import tsx --test test/integration/input-drop.test.ts (about 2 min after the cluster)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeCodes } from '@contract/protocol.ts';
import { labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { INPUT_STALL_MS } from '../../sandbox-server/src/browser/connection.ts';
import { hashToken } from '../../sandbox-server/src/sessions/manager.ts';
import type { TerminalSession } from '../../sandbox-server/src/terminals/terminal.ts';
import { Learner } from '../helpers/learner.ts';
import { docker, removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** How long the prompt may take after the Ctrl-C (it takes well under a second when it comes). */
const PROMPT_BOUND_MS = 10_000;
/** Past what went below the server, the shell also reads this much: the stream's own buffer (a 16 KiB slice past its 16 KiB mark) and the pty's 4 KiB line buffer. */
const READ_MARGIN = 48 * 1024;

describe('input dropped on closeCodes.inputStalled: Ctrl-C after reconnecting reaches the shell', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let learner: Learner;

  before(async () => {
    server = await startTestServer('inputdrop', { SWB_WORKERS: '0' });
    learner = await Learner.join(server.url);
    await learner.waitReady();
  });
  after(async () => {
    learner?.ws.terminate();
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  const clusterOf = (l: Learner) => server.sandbox.sessions.get(hashToken(l.cookie.split('=')[1]!))!.cluster!;
  const execIn = async (cmd: string): Promise<void> => {
    const [c] = await docker.listContainers({ filters: labelFilter(server.config.SWB_INSTANCE, clusterOf(learner).id) });
    const exec = await docker.getContainer(c!.Id).exec({ Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    stream.resume();
    await new Promise((r) => stream.on('end', r));
  };

  /** Endless 64 KiB frames whenever the client's socket queue is short (the flood stays in the client, not in this process). */
  function flood(page: Learner, terminalId: string): () => void {
    const frame = Buffer.alloc(64 * 1024, 'x').toString('latin1');
    const timer = setInterval(() => {
      while (page.ws.readyState === page.ws.OPEN && page.ws.bufferedAmount < 1024 * 1024) page.type(terminalId, frame);
    }, 10);
    return () => clearInterval(timer);
  }

  /** Whether `pattern` shows in the terminal within `ms` (polled; false once the deadline passed). */
  async function shows(page: Learner, terminalId: string, pattern: RegExp, ms: number): Promise<boolean> {
    return waitFor(() => pattern.test(page.text(terminalId)), ms, String(pattern)).then(
      () => true,
      () => false,
    );
  }

  /** Flood a gated shell until 4005, reconnect, Ctrl-C, open the gate: did the prompt come back within the bound? */
  async function ctrlCAfterStall(terminalId: string, dropOnClose: boolean): Promise<{ back: boolean; below: number; held: number; dropped: number }> {
    const gate = `/tmp/gate-${terminalId}`;
    const page = await learner.anotherPage();
    await page.open(terminalId, 'manager');
    await execIn(`rm -f ${gate}`);
    const term: TerminalSession = await clusterOf(page).terminal(terminalId, 'manager', 120, 40);
    if (!dropOnClose) term.dropInput = () => 0; // the old behaviour: the control
    page.type(terminalId, `stty raw -echo isig; until [ -s ${gate} ]; do sleep 0.1; done; head -c "$(cat ${gate})" > /dev/null; sleep infinity\r`);
    // The line must reach bash before the flood (raw: it would read the flood as commands).
    await page.waitOutput(terminalId, /sleep infinity\r?\n/, 10_000);
    await waitFor(() => term.inputQueued === 0, 10_000, 'the command line taken by the shell');
    const before = term.inputBytes;
    const stop = flood(page, terminalId);
    try {
      await waitFor(() => page.closeCode !== undefined, INPUT_STALL_MS + 60_000, 'the flooding socket closed', () =>
        `queued ${term.inputQueued}, accepted ${term.inputBytes - before}, dropped ${term.inputDropped}; output: ${JSON.stringify(page.text(terminalId).slice(-300))}`,
      );
    } finally {
      stop();
    }
    assert.equal(page.closeCode, closeCodes.inputStalled);
    // What went past the server (Docker's and the pty's buffers: the shell reads it first, whatever the server does).
    const below = term.inputBytes - before - term.inputDropped - term.inputQueued;
    const held = term.inputQueued;
    const dropped = term.inputDropped;

    // The browser reconnects (closeCodes.inputStalled: once, at once) and the learner presses Ctrl-C.
    const again = await learner.anotherPage();
    await again.open(terminalId, 'manager');
    again.type(terminalId, '\x03');
    // The program takes what had gone below the server, and a margin, then reads nothing again.
    await execIn(`echo ${below + READ_MARGIN} > ${gate}.tmp && mv ${gate}.tmp ${gate}`);
    // Ctrl-C also flushes what the pty held after it, so the probe command is typed again until the shell runs it (^U: a clean line).
    const probe = setInterval(() => again.type(terminalId, '\x15echo "back""-$((6*7))"\r'), 500);
    const back = await shows(again, terminalId, /back-42/, PROMPT_BOUND_MS).finally(() => clearInterval(probe));
    again.ws.terminate();
    return { back, below, held, dropped };
  }

  test('with the drop, the prompt comes back after Ctrl-C; control: without it, the Ctrl-C waits behind the old queue', async () => {
    const fixed = await ctrlCAfterStall('t-drop', true);
    console.log(`with the drop: ${fixed.below >> 10} KiB had gone below the server, ${fixed.dropped >> 10} KiB dropped, ${fixed.held >> 10} KiB left in the server; prompt back: ${fixed.back}`);
    const old = await ctrlCAfterStall('t-keep', false);
    console.log(`without the drop: ${old.below >> 10} KiB below the server, ${old.held >> 10} KiB held in the server; prompt back within ${PROMPT_BOUND_MS} ms: ${old.back}`);
    // The drop happened (the control's dropInput does nothing): how much it took depends on how much of
    // the paused queue the pty below had taken by the stall deadline (128 to 304 KiB seen); that nothing
    // is left behind is the next assertion.
    assert.ok(fixed.dropped > 0, `the socket's queued input was dropped (${fixed.dropped} bytes)`);
    assert.ok(fixed.held < READ_MARGIN, `nothing of it is left but the stream's own buffer (${fixed.held} bytes)`);
    assert.ok(fixed.back, 'with the drop, Ctrl-C after reconnecting brings the prompt back at once');
    assert.ok(old.held > READ_MARGIN + 16 * 1024, `control: the server still held ${old.held} bytes ahead of the Ctrl-C`);
    assert.ok(!old.back, `control: without the drop, no prompt within ${PROMPT_BOUND_MS} ms`);
  });
});
