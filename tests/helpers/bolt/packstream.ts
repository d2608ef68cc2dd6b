import {
  BoltDate,
  BoltDateTime,
  BoltDuration,
  type BoltInt,
  BoltLocalDateTime,
  BoltLocalTime,
  BoltNode,
  BoltPath,
  BoltPoint,
  BoltRelationship,
  BoltStructure,
  BoltTime,
  BoltUnboundRelationship,
} from './values.ts';

/** PackStream v1 (the Bolt 5.x/6.0 value encoding). Big-endian throughout. */
const TAG = {
  node: 0x4e,
  relationship: 0x52,
  unboundRelationship: 0x72,
  path: 0x50,
  date: 0x44,
  time: 0x54,
  localTime: 0x74,
  dateTime: 0x49,
  dateTimeZoneId: 0x69,
  localDateTime: 0x64,
  duration: 0x45,
  point2d: 0x58,
  point3d: 0x59,
} as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class Packer {
  private buf = Buffer.alloc(1024);
  private len = 0;

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /**
   * Reserves n bytes and returns where they start. It may replace `this.buf`, so callers take the
   * offset first and only then touch the buffer (`this.buf.write(x, this.room(n))` would write into
   * the old one).
   */
  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  private u8(v: number) {
    const at = this.room(1);
    this.buf[at] = v;
  }

  /** A marker followed by a size in 0 (tiny, in the marker's low nibble), 1, 2 or 4 bytes. */
  private header(size: number, tiny: number | null, m8: number | null, m16: number, m32: number) {
    if (tiny !== null && size < 16) this.u8(tiny | size);
    else if (m8 !== null && size < 0x100) this.marked(m8, 1, size, false);
    else if (size < 0x10000) this.marked(m16, 2, size, false);
    else this.marked(m32, 4, size, false);
  }

  private marked(marker: number, width: number, value: number, signed: boolean) {
    this.u8(marker);
    const at = this.room(width);
    if (signed) this.buf.writeIntBE(value, at, width);
    else this.buf.writeUIntBE(value, at, width);
  }

  structHeader(tag: number, fieldCount: number) {
    this.u8(0xb0 | fieldCount);
    this.u8(tag);
  }

  struct(tag: number, fields: unknown[]) {
    this.structHeader(tag, fields.length);
    for (const f of fields) this.pack(f);
  }

  int(value: BoltInt) {
    const v = BigInt(value);
    if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`integer out of 64-bit range: ${v}`);
    const n = Number(v);
    if (n >= -16 && n <= 127) this.u8(n & 0xff);
    else if (n >= -128 && n <= 127) this.marked(0xc8, 1, n, true);
    else if (n >= -32768 && n <= 32767) this.marked(0xc9, 2, n, true);
    else if (n >= -(2 ** 31) && n < 2 ** 31) this.marked(0xca, 4, n, true);
    else {
      this.u8(0xcb);
      const at = this.room(8);
      this.buf.writeBigInt64BE(v, at);
    }
  }

  float(value: number) {
    this.u8(0xc1);
    const at = this.room(8);
    this.buf.writeDoubleBE(value, at);
  }

  string(value: string) {
    const bytes = Buffer.from(value, 'utf8');
    this.header(bytes.length, 0x80, 0xd0, 0xd1, 0xd2);
    const at = this.room(bytes.length);
    bytes.copy(this.buf, at);
  }

  /** JS values: safe integers go as Int, other numbers as Float, bigint as Int, Date as DateTime. */
  pack(value: unknown) {
    if (value === null || value === undefined) return this.u8(0xc0);
    if (value === true) return this.u8(0xc3);
    if (value === false) return this.u8(0xc2);
    if (typeof value === 'number') return Number.isSafeInteger(value) ? this.int(value) : this.float(value);
    if (typeof value === 'bigint') return this.int(value);
    if (typeof value === 'string') return this.string(value);
    if (value instanceof Uint8Array) {
      this.header(value.length, null, 0xcc, 0xcd, 0xce);
      const at = this.room(value.length);
      this.buf.set(value, at);
      return;
    }
    if (Array.isArray(value)) {
      this.header(value.length, 0x90, 0xd4, 0xd5, 0xd6);
      for (const item of value) this.pack(item);
      return;
    }
    if (value instanceof Date) value = BoltDateTime.fromDate(value);
    if (value instanceof BoltNode) {
      return this.struct(TAG.node, [value.id, value.labels, value.properties, value.elementId]);
    }
    if (value instanceof BoltRelationship) {
      const v = value;
      return this.struct(TAG.relationship, [
        v.id,
        v.startId,
        v.endId,
        v.type,
        v.properties,
        v.elementId,
        v.startElementId,
        v.endElementId,
      ]);
    }
    if (value instanceof BoltUnboundRelationship) {
      return this.struct(TAG.unboundRelationship, [value.id, value.type, value.properties, value.elementId]);
    }
    if (value instanceof BoltPath)
      return this.struct(TAG.path, [value.nodes, value.relationships, value.indices]);
    if (value instanceof BoltDate) return this.struct(TAG.date, [value.days]);
    if (value instanceof BoltTime) return this.struct(TAG.time, [value.nanos, value.offsetSeconds]);
    if (value instanceof BoltLocalTime) return this.struct(TAG.localTime, [value.nanos]);
    if (value instanceof BoltDateTime) {
      return value.zoneId !== null
        ? this.struct(TAG.dateTimeZoneId, [value.seconds, value.nanos, value.zoneId])
        : this.struct(TAG.dateTime, [value.seconds, value.nanos, value.offsetSeconds ?? 0]);
    }
    if (value instanceof BoltLocalDateTime)
      return this.struct(TAG.localDateTime, [value.seconds, value.nanos]);
    if (value instanceof BoltDuration) {
      return this.struct(TAG.duration, [value.months, value.days, value.seconds, value.nanos]);
    }
    if (value instanceof BoltPoint) {
      // Coordinates are always Float, even when they happen to be whole numbers.
      this.structHeader(value.z === undefined ? TAG.point2d : TAG.point3d, value.z === undefined ? 3 : 4);
      this.int(value.srid);
      for (const c of value.z === undefined ? [value.x, value.y] : [value.x, value.y, value.z]) this.float(c);
      return;
    }
    if (value instanceof BoltStructure) return this.struct(value.tag, value.fields);
    if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      this.header(entries.length, 0xa0, 0xd8, 0xd9, 0xda);
      for (const [k, v] of entries) {
        this.string(k);
        this.pack(v);
      }
      return;
    }
    throw new TypeError(`cannot pack a ${typeof value}`);
  }
}

export class Unpacker {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  private take(n: number): number {
    if (this.at + n > this.buf.length) throw new RangeError('PackStream value runs past the message');
    const at = this.at;
    this.at += n;
    return at;
  }

  private u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  /** A message is a structure whose tag names the message; its fields are ordinary values. */
  message(): { tag: number; fields: unknown[] } {
    const marker = this.u8();
    if (marker >> 4 !== 0xb)
      throw new Error(`a Bolt message must be a structure, got marker 0x${marker.toString(16)}`);
    const tag = this.u8();
    const fields = Array.from({ length: marker & 0x0f }, () => this.unpack());
    return { tag, fields };
  }

  unpack(): unknown {
    const marker = this.u8();
    const high = marker >> 4;
    if (marker < 0x80 || marker >= 0xf0) return marker < 0x80 ? marker : marker - 0x100;
    if (high === 0x8) return this.text(marker & 0x0f);
    if (high === 0x9) return this.list(marker & 0x0f);
    if (high === 0xa) return this.map(marker & 0x0f);
    if (high === 0xb) return this.structure(marker & 0x0f);
    switch (marker) {
      case 0xc0:
        return null;
      case 0xc1:
        return this.buf.readDoubleBE(this.take(8));
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc8:
        return this.buf.readInt8(this.take(1));
      case 0xc9:
        return this.buf.readInt16BE(this.take(2));
      case 0xca:
        return this.buf.readInt32BE(this.take(4));
      case 0xcb: {
        const v = this.buf.readBigInt64BE(this.take(8));
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 0xcc:
      case 0xcd:
      case 0xce: {
        const n = this.size(marker - 0xcc);
        return new Uint8Array(this.buf.subarray(this.take(n), this.at));
      }
      case 0xd0:
      case 0xd1:
      case 0xd2:
        return this.text(this.size(marker - 0xd0));
      case 0xd4:
      case 0xd5:
      case 0xd6:
        return this.list(this.size(marker - 0xd4));
      case 0xd8:
      case 0xd9:
      case 0xda:
        return this.map(this.size(marker - 0xd8));
      default:
        throw new Error(`unknown PackStream marker 0x${marker.toString(16)}`);
    }
  }

  /** Sizes follow their marker in 1, 2 or 4 bytes (width 0, 1, 2). */
  private size(width: number): number {
    if (width === 0) return this.u8();
    if (width === 1) return this.buf.readUInt16BE(this.take(2));
    return this.buf.readUInt32BE(this.take(4));
  }

  private text(n: number): string {
    const from = this.take(n);
    return this.buf.toString('utf8', from, from + n);
  }

  private list(n: number): unknown[] {
    return Array.from({ length: n }, () => this.unpack());
  }

  private map(n: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = this.unpack();
      if (typeof key !== 'string') throw new Error('PackStream map keys must be strings');
      // defineProperty, so a key named __proto__ stays a key.
      Object.defineProperty(map, key, {
        value: this.unpack(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return map;
  }

  private structure(n: number): unknown {
    const tag = this.u8();
    const raw = Array.from({ length: n }, () => this.unpack());
    // The field types are the protocol's promise; a test server trusts its client here.
    const f = (i: number) => raw[i] as never;
    switch (tag) {
      case TAG.node:
        return new BoltNode(f(0), f(1), f(2), f(3));
      case TAG.relationship:
        return new BoltRelationship(f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7));
      case TAG.unboundRelationship:
        return new BoltUnboundRelationship(f(0), f(1), f(2), f(3));
      case TAG.path:
        return new BoltPath(f(0), f(1), f(2));
      case TAG.date:
        return new BoltDate(f(0));
      case TAG.time:
        return new BoltTime(f(0), f(1));
      case TAG.localTime:
        return new BoltLocalTime(f(0));
      case TAG.dateTime:
        return new BoltDateTime(f(0), f(1), f(2));
      case TAG.dateTimeZoneId:
        return new BoltDateTime(f(0), f(1), null, f(2));
      case TAG.localDateTime:
        return new BoltLocalDateTime(f(0), f(1));
      case TAG.duration:
        return new BoltDuration(f(0), f(1), f(2), f(3));
      case TAG.point2d:
        return new BoltPoint(f(0), f(1), f(2));
      case TAG.point3d:
        return new BoltPoint(f(0), f(1), f(2), f(3));
      default:
        return new BoltStructure(tag, raw);
    }
  }
}

export function pack(value: unknown): Buffer {
  const packer = new Packer();
  packer.pack(value);
  return Buffer.from(packer.bytes());
}

export function packMessage(tag: number, fields: unknown[]): Buffer {
  const packer = new Packer();
  packer.struct(tag, fields);
  return Buffer.from(packer.bytes());
}
