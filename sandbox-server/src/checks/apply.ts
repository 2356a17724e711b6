/**
 * Apply solution: run an exercise's solution commands on the learner's nodes,
 * one after another, each as a non-interactive `docker exec` in the node
 * container (the same shell the learner's terminal has, without a TTY), with
 * the output captured for the page.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LAB_DIR, type AppliedStep, type NodeName } from '../../../contract/protocol.ts';

/** A solution that has not finished by then is stuck (e.g. waiting for a task that can never start). */
export const STEP_TIMEOUT_S = 120;
const OUTPUT_KEEP_BYTES = 8 * 1024;

export async function runStep(container: Docker.Container, command: string, timeoutS = STEP_TIMEOUT_S): Promise<{ exitCode: number | null; output: string }> {
  const exec = await container.exec({
    // `timeout` ends the step's whole process group if it hangs.
    Cmd: ['timeout', '--kill-after=5', String(timeoutS), 'bash', '-c', command],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    WorkingDir: LAB_DIR,
    Env: ['TERM=dumb'],
  });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => {
    chunks.push(c);
    size += c.length;
    while (chunks.length > 1 && size - chunks[0]!.length >= OUTPUT_KEEP_BYTES) size -= chunks.shift()!.length;
  });
  container.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  let output = Buffer.concat(chunks).toString('utf8');
  if (output.length > OUTPUT_KEEP_BYTES) output = `…${output.slice(-OUTPUT_KEEP_BYTES)}`;
  if (ExitCode === 124) output += `\n(stopped after ${timeoutS} s)`;
  return { exitCode: ExitCode ?? null, output };
}

/** Every step in order, whatever the exit codes: later steps may not depend on earlier ones succeeding. */
export async function runSteps(
  containerOf: (node: NodeName) => Docker.Container | undefined,
  steps: { node: NodeName; run: string }[],
): Promise<AppliedStep[]> {
  const results: AppliedStep[] = [];
  for (const step of steps) {
    const container = containerOf(step.node);
    if (!container) {
      results.push({ node: step.node, run: step.run, exitCode: null, output: `there is no node ${step.node} in your cluster` });
      continue;
    }
    try {
      results.push({ node: step.node, run: step.run, ...(await runStep(container, step.run)) });
    } catch (err) {
      results.push({ node: step.node, run: step.run, exitCode: null, output: `could not run it: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return results;
}
