/**
 * Wire format helpers for the sandbox WebSocket: JSON control frames validated
 * with the protocol schemas, binary terminal frames `[channel][bytes]`.
 * Pure functions: unit-tested in frames.test.ts.
 */
import {
  MAX_INPUT_FRAME_BYTES,
  decodeBinary,
  encodeBinary,
  serverMessage,
  type ClientMessage,
  type ServerMessage,
} from '@contract/protocol.ts';

export type IncomingFrame =
  | { kind: 'message'; message: ServerMessage }
  | { kind: 'output'; channel: number; payload: Uint8Array }
  | { kind: 'invalid'; reason: string };

/** Classify and validate one frame from the server. */
export function parseServerFrame(data: string | ArrayBuffer | Uint8Array): IncomingFrame {
  if (typeof data === 'string') {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return { kind: 'invalid', reason: 'control frame is not JSON' };
    }
    const parsed = serverMessage.safeParse(json);
    if (!parsed.success) return { kind: 'invalid', reason: parsed.error.issues.map((i) => i.message).join('; ') };
    return { kind: 'message', message: parsed.data };
  }
  const decoded = decodeBinary(data instanceof Uint8Array ? data : new Uint8Array(data));
  if (!decoded) return { kind: 'invalid', reason: 'empty binary frame' };
  return { kind: 'output', channel: decoded.channel, payload: decoded.payload };
}

export function encodeControl(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** Largest payload per input frame: the frame limit includes the channel byte. */
export const MAX_INPUT_PAYLOAD = MAX_INPUT_FRAME_BYTES - 1;

/**
 * Split terminal input (e.g. a big paste) into frames no larger than the
 * server accepts. Splitting inside a UTF-8 sequence is fine: the bytes are
 * concatenated again on the shell's stdin.
 */
export function encodeInputFrames(channel: number, bytes: Uint8Array, maxPayload = MAX_INPUT_PAYLOAD): Uint8Array[] {
  if (maxPayload < 1) throw new RangeError('maxPayload must be at least 1');
  const frames: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += maxPayload) {
    frames.push(encodeBinary(channel, bytes.subarray(start, start + maxPayload)));
  }
  return frames;
}

const encoder = new TextEncoder();

/** Text typed or pasted into a terminal, as UTF-8. */
export function textToBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** xterm's onBinary gives a "binary string" (one char per byte, e.g. mouse reports). */
export function binaryStringToBytes(data: string): Uint8Array {
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
  return bytes;
}

/** What a Run button sends: the command, lines ended with Enter (CR, as a keyboard would). */
export function commandKeystrokes(command: string): string {
  return command.replace(/\r?\n/g, '\r').replace(/\r*$/, '') + '\r';
}
