/**
 * Bolt message framing: a message travels as chunks of at most 65,535 bytes, each preceded by its
 * size as a big-endian uint16, and ends with an empty chunk (0x0000). An empty chunk between
 * messages is a keep-alive (NOOP).
 */
export const MAX_CHUNK = 0xffff;

export function frame(message: Buffer, maxChunk = MAX_CHUNK): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < message.length; at += maxChunk) {
    const piece = message.subarray(at, at + maxChunk);
    const size = Buffer.alloc(2);
    size.writeUInt16BE(piece.length);
    parts.push(size, piece);
  }
  parts.push(Buffer.alloc(2));
  return Buffer.concat(parts);
}

/** Collects bytes as they arrive and hands back each complete message. */
export class Dechunker {
  private pending: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];

  push(data: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const messages: Buffer[] = [];
    let at = 0;
    while (this.pending.length - at >= 2) {
      const size = this.pending.readUInt16BE(at);
      if (size === 0) {
        at += 2;
        if (this.parts.length > 0) messages.push(Buffer.concat(this.parts));
        this.parts = [];
        continue;
      }
      if (this.pending.length - at - 2 < size) break;
      // Copy: the socket's buffer may be reused once we return.
      this.parts.push(Buffer.from(this.pending.subarray(at + 2, at + 2 + size)));
      at += 2 + size;
    }
    this.pending = this.pending.subarray(at);
    return messages;
  }
}
