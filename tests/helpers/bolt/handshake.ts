/**
 * The Bolt handshake. The client sends the magic 0x6060B017 and four proposals, each four bytes
 * `[0, range, minor, major]` meaning major.minor down to major.(minor - range). The server answers
 * with the chosen version as `[0, 0, minor, major]` (zeros: none). A proposal of 255.1 means the
 * client speaks "manifest v1": the server may instead answer `[0, 0, 1, 255]`, a varint count, that
 * many version ranges and a varint capability mask; the client then writes back its choice
 * (four bytes) and its capabilities (a varint).
 */
export const MAGIC = 0x6060b017;
export const HANDSHAKE_LENGTH = 20;

export interface BoltVersion {
  major: number;
  minor: number;
}

export const versionName = (v: BoltVersion) => `${v.major}.${v.minor}`;

/** Newest first. Bolt 6.0 is 5.8 plus the Vector and Unsupported types, neither of which this server sends. */
export const SERVER_VERSIONS: BoltVersion[] = [
  { major: 6, minor: 0 },
  ...[8, 7, 6, 5, 4, 3, 2, 1, 0].map((minor) => ({ major: 5, minor })),
];

export interface Proposals {
  manifest: boolean;
  versions: BoltVersion[];
}

export function parseProposals(handshake: Buffer): Proposals {
  if (handshake.readUInt32BE(0) !== MAGIC) throw new Error('not a Bolt client (bad magic)');
  const versions: BoltVersion[] = [];
  let manifest = false;
  for (let slot = 0; slot < 4; slot++) {
    const at = 4 + slot * 4;
    const range = handshake.readUInt8(at + 1);
    const minor = handshake.readUInt8(at + 2);
    const major = handshake.readUInt8(at + 3);
    if (major === 255 && minor === 1) manifest = true;
    else if (major !== 0) {
      for (let m = minor; m >= Math.max(0, minor - range); m--) versions.push({ major, minor: m });
    }
  }
  return { manifest, versions };
}

/** The newest version both sides speak, or null. */
export function choose(offered: BoltVersion[], supported: BoltVersion[]): BoltVersion | null {
  return supported.find((s) => offered.some((o) => o.major === s.major && o.minor === s.minor)) ?? null;
}

export function versionReply(v: BoltVersion | null): Buffer {
  return Buffer.from([0, 0, v?.minor ?? 0, v?.major ?? 0]);
}

export function writeVarInt(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** A little-endian base-128 varint at `at`, or null when its bytes have not all arrived. */
export function readVarInt(buf: Buffer, at: number): { value: number; length: number } | null {
  let value = 0;
  for (let i = 0; at + i < buf.length; i++) {
    const byte = buf.readUInt8(at + i);
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return { value, length: i + 1 };
  }
  return null;
}

/** The manifest v1 offer: every supported version, as one range per major version. */
export function manifestOffer(supported: BoltVersion[]): Buffer {
  const majors = [...new Set(supported.map((v) => v.major))];
  const ranges = majors.map((major) => {
    const minors = supported.filter((v) => v.major === major).map((v) => v.minor);
    const top = Math.max(...minors);
    return Buffer.from([0, top - Math.min(...minors), top, major]);
  });
  return Buffer.concat([Buffer.from([0, 0, 1, 255]), writeVarInt(ranges.length), ...ranges, writeVarInt(0)]);
}
