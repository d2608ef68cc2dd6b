/**
 * The PackStream structures a Bolt 5.x server sends and receives, as plain classes. Integers that
 * may exceed 2^53 (ids, epoch seconds, nanoseconds of a day) are `number | bigint`, as the unpacker
 * gives them.
 */
export type BoltInt = number | bigint;

export class BoltNode {
  constructor(
    readonly id: BoltInt,
    readonly labels: string[],
    readonly properties: Record<string, unknown>,
    readonly elementId: string = String(id),
  ) {}
}

export class BoltRelationship {
  constructor(
    readonly id: BoltInt,
    readonly startId: BoltInt,
    readonly endId: BoltInt,
    readonly type: string,
    readonly properties: Record<string, unknown>,
    readonly elementId: string = String(id),
    readonly startElementId: string = String(startId),
    readonly endElementId: string = String(endId),
  ) {}
}

/** A relationship inside a Path: its ends are given by the path's indices. */
export class BoltUnboundRelationship {
  constructor(
    readonly id: BoltInt,
    readonly type: string,
    readonly properties: Record<string, unknown>,
    readonly elementId: string = String(id),
  ) {}
}

export class BoltPath {
  constructor(
    readonly nodes: BoltNode[],
    readonly relationships: BoltUnboundRelationship[],
    /** Alternating relationship index (1-based, negative when walked backwards) and node index. */
    readonly indices: number[],
  ) {}

  /** A path from its nodes in walking order and the relationships between consecutive nodes. */
  static of(walk: BoltNode[], relationships: BoltRelationship[]): BoltPath {
    if (walk.length !== relationships.length + 1)
      throw new Error('a path has one node more than relationships');
    const nodes: BoltNode[] = [];
    const nodeIndex = (node: BoltNode) => {
      const at = nodes.findIndex((n) => n.elementId === node.elementId);
      if (at >= 0) return at;
      nodes.push(node);
      return nodes.length - 1;
    };
    nodeIndex(walk[0] as BoltNode);
    const unbound: BoltUnboundRelationship[] = [];
    const indices: number[] = [];
    relationships.forEach((rel, i) => {
      const from = walk[i] as BoltNode;
      const to = walk[i + 1] as BoltNode;
      unbound.push(new BoltUnboundRelationship(rel.id, rel.type, rel.properties, rel.elementId));
      const forward = rel.startElementId === from.elementId;
      indices.push(forward ? i + 1 : -(i + 1), nodeIndex(to));
    });
    return new BoltPath(nodes, unbound, indices);
  }
}

/** Days since 1970-01-01. */
export class BoltDate {
  constructor(readonly days: BoltInt) {}
}

export class BoltTime {
  constructor(
    readonly nanos: BoltInt,
    readonly offsetSeconds: number,
  ) {}
}

export class BoltLocalTime {
  constructor(readonly nanos: BoltInt) {}
}

/**
 * An instant: UTC epoch seconds plus nanoseconds (Bolt 5 sends UTC, not local, seconds), with
 * either a fixed offset (struct 0x49) or a zone id (struct 0x69).
 */
export class BoltDateTime {
  constructor(
    readonly seconds: BoltInt,
    readonly nanos: number,
    readonly offsetSeconds: number | null,
    readonly zoneId: string | null = null,
  ) {}

  static fromDate(date: Date): BoltDateTime {
    const ms = date.getTime();
    const seconds = Math.floor(ms / 1000);
    return new BoltDateTime(seconds, (ms - seconds * 1000) * 1_000_000, 0);
  }

  /** Millisecond precision, as a JS Date holds. */
  toDate(): Date {
    return new Date(Number(this.seconds) * 1000 + Math.floor(this.nanos / 1_000_000));
  }
}

export class BoltLocalDateTime {
  constructor(
    readonly seconds: BoltInt,
    readonly nanos: number,
  ) {}
}

export class BoltDuration {
  constructor(
    readonly months: BoltInt,
    readonly days: BoltInt,
    readonly seconds: BoltInt,
    readonly nanos: number,
  ) {}
}

export class BoltPoint {
  constructor(
    readonly srid: number,
    readonly x: number,
    readonly y: number,
    readonly z?: number,
  ) {}
}

/** A structure this server has no class for (it keeps the tag and the raw fields). */
export class BoltStructure {
  constructor(
    readonly tag: number,
    readonly fields: unknown[],
  ) {}
}
