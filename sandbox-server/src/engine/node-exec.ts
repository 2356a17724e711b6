/**
 * Every one-shot command the server runs in a learner's node (Apply solution, catch-ups, class
 * faults) goes through `execInNode`: a server-side deadline and a size cap on what it prints.
 * The node's own `timeout`, `bash` and `kill` are the learner's (root in the node can bind-mount
 * anything over them), so nothing here relies on them: when the deadline passes we stop waiting,
 * destroy the stream (the caller's slot is free at once) and end the exec'd process from the host.
 *
 * Docker has no "kill exec" API. The exec's inspect gives its process id in the host's pid
 * namespace (the learner engine runs on this host), so we stop and kill that process and its
 * descendants directly, each only after checking it sits in this node's cgroup: a pid reused by
 * some other process, or an engine on another host (DOCKER_HOST), is never signalled. When that
 * cannot be done the process is abandoned; the node's pids limit bounds what such leftovers cost.
 * (Not `docker exec kill ...` in the node: that would run the learner's `kill` again.)
 *
 * The interactive shells of terminals/ are long-lived by design and do not use this.
 */
import { readdir, readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { formatBytes, readAll, ReadLimitError } from './bounded.ts';

/** Most bytes an exec may print (both streams, with Docker's frame headers); past it, it is ended. */
export const EXEC_MAX_BYTES = 4 * 1024 * 1024;
/** The end of the output is what explains a failure: keep this much of it. */
export const EXEC_KEEP_BYTES = 8 * 1024;
/** The kill after a deadline gets this long of its own (the engine may be the thing that hangs). */
const KILL_TIMEOUT_MS = 5000;
/** A node has at most its pids limit of processes; more than this in one exec's tree is not ours to walk. */
const MAX_TREE = 4096;

export interface NodeExecOptions {
  /** The node's name, for messages. */
  node: string;
  /** The command as people know it, for messages (default: `cmd` joined). */
  what?: string;
  /** The whole exec (create, start, output, exit code) ends by then, whatever the node does. */
  deadlineMs: number;
  workingDir?: string;
  env?: string[];
  maxBytes?: number;
  keepBytes?: number;
}

export interface NodeExecResult {
  exitCode: number | null;
  /** The last `keepBytes` of stdout and stderr, interleaved as printed. */
  output: string;
}

/** The exec broke the deadline or the size cap; `message` says what, in words, and what became of the process. */
export class NodeExecError extends ReadLimitError {
  constructor(message: string, kind: 'size' | 'time') {
    super(message, kind);
    this.name = 'NodeExecError';
  }
}

const secondsOf = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Reject with `err()` if `p` has not settled within `ms` (`p` is left to settle on its own). */
export function within<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(err()), Math.max(0, ms));
    timer.unref?.();
  });
  p.catch(() => undefined);
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export async function execInNode(container: Docker.Container, cmd: string[], opts: NodeExecOptions): Promise<NodeExecResult> {
  const end = Date.now() + opts.deadlineMs;
  const left = () => end - Date.now();
  const shown = (opts.what ?? cmd.join(' ')).slice(0, 200);
  const late = () => new ReadLimitError('late', 'time');
  let exec: Docker.Exec | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  try {
    exec = await within(
      container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false, WorkingDir: opts.workingDir, Env: opts.env }),
      left(),
      late,
    );
    const started = exec.start({ hijack: true, stdin: false }) as Promise<NodeJS.ReadableStream>;
    // A start that answers after the deadline must not leave its stream open.
    started.then((s) => left() <= 0 && (s as unknown as { destroy?: () => void }).destroy?.(), () => undefined);
    stream = await within(started, left(), late);
    const raw = await readAll(stream, { maxBytes: opts.maxBytes ?? EXEC_MAX_BYTES, timeoutMs: Math.max(1, left()) }, `\`${shown}\` on ${opts.node}`);
    const output = tail(demux(raw), opts.keepBytes ?? EXEC_KEEP_BYTES);
    const { ExitCode } = await within(exec.inspect(), left(), late);
    return { exitCode: ExitCode ?? null, output };
  } catch (err) {
    if (!(err instanceof ReadLimitError)) throw err;
    (stream as { destroy?: () => void } | undefined)?.destroy?.();
    const ended = exec ? await killExec(exec, container.id).catch(() => false) : false;
    const fate = ended ? 'it was ended' : 'it may still be running in the node (its pids limit bounds it)';
    const what =
      err.kind === 'size'
        ? `\`${shown}\` printed more than ${formatBytes(opts.maxBytes ?? EXEC_MAX_BYTES)} on ${opts.node}`
        : `\`${shown}\` did not finish on ${opts.node} within ${secondsOf(opts.deadlineMs)}`;
    throw new NodeExecError(`${what}; ${fate}`, err.kind);
  }
}

/** Docker's multiplexed stream (8-byte header per frame: stream, 0, 0, 0, length) to plain bytes. */
export function demux(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length) {
    const len = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, Math.min(raw.length, i + 8 + len)));
    i += 8 + len;
  }
  return Buffer.concat(parts);
}

function tail(bytes: Buffer, keep: number): string {
  if (bytes.length <= keep) return bytes.toString('utf8');
  return `…${bytes.subarray(bytes.length - keep).toString('utf8')}`;
}

/**
 * End an exec's process and everything it started, from the host. True when it is gone (or had
 * already ended); false when it could not be reached (then it is abandoned).
 */
export async function killExec(exec: Docker.Exec, containerId: string): Promise<boolean> {
  const inspect = async () => (await within(exec.inspect(), KILL_TIMEOUT_MS, () => new Error('inspect hangs'))) as { Running?: boolean; Pid?: number };
  const info = await inspect();
  if (!info.Running) return true;
  if (!info.Pid) return false;
  const cgroupOf = (pid: number) => readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => null);
  const inNode = async (pid: number) => (await cgroupOf(pid))?.includes(containerId) ?? false;
  const main = await cgroupOf(info.Pid);
  // Gone: it ended after the engine's answer (on a loaded host the engine learns of the exit later).
  if (main === null) return true;
  // Not in this node: it ended and its pid was taken again, or it is not ours to signal.
  if (!main.includes(containerId)) return !(await inspect()).Running;
  // Stop the whole tree first so nothing forks while we look, look again, then kill.
  const signal = async (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      if (!(await inNode(pid))) continue;
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  };
  await signal(await tree(info.Pid), 'SIGSTOP');
  await signal(await tree(info.Pid), 'SIGKILL');
  // SIGKILL cannot be caught or ignored; the shim reaps what is left.
  return true;
}

/** `pid` and its descendants, from /proc (children of every thread). */
async function tree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < MAX_TREE; i++) {
    const tasks = await readdir(`/proc/${out[i]}/task`).catch(() => [] as string[]);
    for (const t of tasks) {
      const children = await readFile(`/proc/${out[i]}/task/${t}/children`, 'utf8').catch(() => '');
      for (const c of children.split(' ')) if (c.trim()) out.push(Number(c));
    }
  }
  return out;
}
