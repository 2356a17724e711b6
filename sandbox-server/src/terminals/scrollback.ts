/**
 * The last `capacity` bytes of a terminal's output, addressed by absolute
 * offsets into the stream since the shell started. A reattaching client says
 * which offset it has; we replay from there, so nothing is lost or duplicated.
 */
export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Absolute offset one past the last byte ever written. */
  end = 0;

  constructor(private readonly capacity: number) {}

  /** Absolute offset of the oldest byte still kept. */
  get start(): number {
    return this.end - this.size;
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
    this.end += data.length;
    while (this.size > this.capacity) {
      const first = this.chunks[0]!;
      const excess = this.size - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /**
   * Bytes from `offset` (clamped to what is kept) to the end, and where they start.
   * An offset past the end belongs to an earlier shell (e.g. before a server
   * restart): this is a new stream, so it is replayed from its start.
   */
  since(offset: number): { from: number; data: Buffer } {
    const from = offset > this.end ? this.start : Math.max(offset, this.start);
    let skip = from - this.start;
    const parts: Buffer[] = [];
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      parts.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
    return { from, data: Buffer.concat(parts) };
  }
}
