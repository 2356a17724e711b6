import type { NodeName } from '@contract/protocol.ts';

export type MessagePart = { kind: 'text'; text: string } | { kind: 'code'; text: string; run?: { node: NodeName; command: string } };

/** "... on worker-1: " right before a command: that command runs on worker-1. */
const ON_NODE = /\bon (manager|worker-\d+)\s*:?\s*$/;

/**
 * Splits a check message into text and `code` spans; a span that is a `docker ...` command gets
 * the node to run it on (named just before it, else `fallback`).
 */
export function messageParts(text: string, fallback: NodeName): MessagePart[] {
  const parts: MessagePart[] = [];
  let before = '';
  for (const piece of text.split(/(`[^`\n]+`)/g)) {
    if (!piece) continue;
    if (piece.length > 2 && piece.startsWith('`') && piece.endsWith('`')) {
      const code = piece.slice(1, -1);
      if (/^docker\s/.test(code)) {
        const named = ON_NODE.exec(before)?.[1] as NodeName | undefined;
        parts.push({ kind: 'code', text: code, run: { node: named ?? fallback, command: code.trim() } });
      } else {
        parts.push({ kind: 'code', text: code });
      }
      before = '';
    } else {
      parts.push({ kind: 'text', text: piece });
      before = piece;
    }
  }
  return parts;
}
