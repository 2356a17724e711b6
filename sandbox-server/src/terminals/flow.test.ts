/**
 * Flow control a client cannot talk its way around: a viewer that acknowledges everything while
 * reading nothing (a lying ack) still pauses the shell, because the server counts what waits for
 * its socket; a shell nobody watches is read up to its first output (the prompt) and no further.
 * Run: node --import tsx --test sandbox-server/src/terminals/flow.test.ts
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { waitFor } from '../../../test/helpers/wait.ts';
import { HIGH_WATERMARK, TerminalSession, type TerminalViewer } from './terminal.ts';

/** A shell running `cat /dev/zero`: produces 64 KiB whenever its output is read. */
class ZeroShell extends Duplex {
  produced = 0;
  override _read(): void {
    // Like a socket: data arrives on a later turn of the event loop.
    setImmediate(() => {
      if (this.destroyed) return;
      this.produced += 65536;
      this.push(Buffer.alloc(65536));
    });
  }
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

async function startShell(): Promise<{ term: TerminalSession; shell: ZeroShell }> {
  const shell = new ZeroShell();
  const exec = { start: async () => shell, resize: async () => undefined, inspect: async () => ({ ExitCode: 0 }) };
  const container = { exec: async () => exec } as unknown as Docker.Container;
  const term = await TerminalSession.start({ container, id: 't', node: 'manager', cols: 80, rows: 24, scrollbackBytes: 64 * 1024 });
  return { term, shell };
}

/** A client that acknowledges far past what it got and never reads its socket: the queue only grows. */
function lyingViewer(term: TerminalSession, countQueue: boolean): { viewer: TerminalViewer; queued: () => number } {
  let queued = 0;
  const viewer: TerminalViewer = {
    output: (data) => {
      queued += data.length;
      term.ack(viewer, Number.MAX_SAFE_INTEGER);
    },
    exited: () => undefined,
    ...(countQueue ? { backlog: () => queued } : {}),
  };
  return { viewer, queued: () => queued };
}

test('an ack past the bytes sent is clamped to what was sent', async () => {
  const { term } = await startShell();
  const sent: number[] = [];
  const viewer: TerminalViewer = { output: (d) => sent.push(d.length), exited: () => undefined };
  term.attach(viewer, 0);
  await waitFor(() => sent.length > 0, 2_000, 'output');
  term.ack(viewer, 10 ** 15);
  const state = (term as unknown as { viewers: Map<TerminalViewer, { acked: number; sent: number }> }).viewers.get(viewer)!;
  assert.equal(state.acked, state.sent, 'the ack counts only as far as what was sent');
  assert.ok(state.sent < 10 ** 15);
  term.close();
});

test('a lying-ack client: the shell pauses once its socket queue passes the high watermark', async () => {
  const { term, shell } = await startShell();
  const { viewer, queued } = lyingViewer(term, true);
  term.attach(viewer, 0);
  await sleep(300);
  assert.ok(term.isPaused, 'paused');
  assert.ok(queued() <= HIGH_WATERMARK + 256 * 1024, `queue bounded (${queued()} bytes)`);
  assert.ok(shell.produced <= HIGH_WATERMARK + 1024 * 1024, `the shell was read only that far (${shell.produced} bytes)`);
  term.close();
});

test('control: without counting the socket queue, the same lying client makes the server read without end', async () => {
  const { term, shell } = await startShell();
  const { viewer, queued } = lyingViewer(term, false);
  term.attach(viewer, 0);
  let everPaused = false;
  const watch = setInterval(() => (everPaused ||= term.isPaused), 5);
  await waitFor(() => queued() > 8 * HIGH_WATERMARK, 20_000, 'the queue to pass 8 MiB');
  clearInterval(watch);
  assert.ok(!everPaused, 'never paused: the queue grows past every watermark and keeps growing');
  assert.ok(shell.produced > 8 * HIGH_WATERMARK);
  term.close();
});

test('a paused shell resumes when its viewer catches up, and a shell nobody watches is read up to its prompt only', async () => {
  const { term, shell } = await startShell();
  await term.printed;
  // The first output (a shell's prompt) is read ahead, so a warm shell's first byte needs no `docker exec` wait.
  assert.equal(term.scrollback.end, 65536, 'the first chunk is in the scrollback before anyone watches');
  await sleep(100);
  assert.ok(term.isPaused, 'unwatched: paused after its first output');
  assert.equal(term.scrollback.end, 65536, 'and nothing more read');
  const before = shell.produced;
  await sleep(100);
  assert.equal(shell.produced, before, 'nothing read while nobody watches');

  let queued = 0;
  const viewer: TerminalViewer = { output: (d) => ((queued += d.length), term.ack(viewer, Number.MAX_SAFE_INTEGER)), exited: () => undefined, backlog: () => queued };
  term.attach(viewer, undefined);
  await waitFor(() => term.isPaused && queued > HIGH_WATERMARK, 2_000, 'paused by the queue');
  const paused = shell.produced;
  queued = 0; // the socket drained
  await waitFor(() => shell.produced > paused, 2_000, 'resumed after the drain');
  term.detach(viewer);
  await waitFor(() => term.isPaused, 2_000, 'paused again once nobody watches');
  term.close();
});
