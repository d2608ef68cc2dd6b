/**
 * A plain in-memory reading of an entity's graph, written from the API's descriptions and nothing
 * of src/graph/: full breadth-first searches over arrays, then the same cuts and orders the API
 * documents. The equivalence test holds the server to it.
 */

export interface RefTriple {
  subject: string;
  predicate: string;
  object: string;
}

export type Direction = 'OUT' | 'IN' | 'BOTH';

export interface RefNeighborhood {
  nodes: { name: string; degree: number }[];
  triples: string[];
  truncated: boolean;
}

export interface RefPath {
  length: number;
  nodes: string[];
  triples: string[];
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const spoOf = (t: RefTriple) => `${t.subject} ${t.predicate} ${t.object}`;

/** A hop along a triple: from one end to the other, in the way the direction allows. */
interface Hop {
  triple: RefTriple;
  from: string;
  to: string;
}

export class ReferenceGraph {
  constructor(private readonly triples: readonly RefTriple[]) {}

  degree(name: string): number {
    return (
      this.triples.filter((t) => t.subject === name).length +
      this.triples.filter((t) => t.object === name).length
    );
  }

  isNode(name: string): boolean {
    return this.degree(name) > 0;
  }

  /** Every name, most triples first, then by name. */
  nodesByDegree(): { name: string; degree: number }[] {
    const names = new Set(this.triples.flatMap((t) => [t.subject, t.object]));
    return [...names]
      .map((name) => ({ name, degree: this.degree(name) }))
      .sort((a, b) => b.degree - a.degree || byCodePoint(a.name, b.name));
  }

  private hops(name: string, direction: Direction, predicates: readonly string[] | null): Hop[] {
    const allowed = (t: RefTriple) => predicates === null || predicates.includes(t.predicate);
    const hops: Hop[] = [];
    for (const triple of this.triples) {
      if (!allowed(triple)) continue;
      if (direction !== 'IN' && triple.subject === name) hops.push({ triple, from: name, to: triple.object });
      if (direction !== 'OUT' && triple.object === name)
        hops.push({ triple, from: name, to: triple.subject });
    }
    return hops;
  }

  /** Hops from the starts to every name reachable, by plain breadth-first search. */
  distances(
    starts: readonly string[],
    direction: Direction,
    predicates: readonly string[] | null,
    limit = Number.POSITIVE_INFINITY,
  ): Map<string, number> {
    const distance = new Map(starts.map((name) => [name, 0]));
    let level = [...starts];
    for (let hops = 1; hops <= limit && level.length > 0; hops += 1) {
      const next: string[] = [];
      for (const name of level) {
        for (const hop of this.hops(name, direction, predicates)) {
          if (distance.has(hop.to)) continue;
          distance.set(hop.to, hops);
          next.push(hop.to);
        }
      }
      level = next;
    }
    return distance;
  }

  neighborhood(
    seeds: readonly string[],
    options: { depth: number; direction: Direction; predicates: readonly string[] | null; first: number },
  ): RefNeighborhood {
    const starts = [...new Set(seeds.filter((name) => this.isNode(name)))];
    const distance = this.distances(starts, options.direction, options.predicates, options.depth);
    const all = [...distance].sort(([a, da], [b, db]) => da - db || byCodePoint(a, b));
    const kept = new Map(all.slice(0, options.first));
    const followed = (t: RefTriple) => {
      const s = kept.get(t.subject);
      const o = kept.get(t.object);
      if (s === undefined || o === undefined) return false;
      if (options.predicates && !options.predicates.includes(t.predicate)) return false;
      const outward = options.direction !== 'IN' && s < options.depth;
      const inward = options.direction !== 'OUT' && o < options.depth;
      return outward || inward;
    };
    const near = (t: RefTriple) => {
      const ends = [kept.get(t.subject) as number, kept.get(t.object) as number];
      return [Math.min(...ends), Math.max(...ends)] as const;
    };
    const triples = this.triples.filter(followed).sort((a, b) => {
      const [a0, a1] = near(a);
      const [b0, b1] = near(b);
      return (
        a0 - b0 ||
        a1 - b1 ||
        byCodePoint(a.subject, b.subject) ||
        byCodePoint(a.predicate, b.predicate) ||
        byCodePoint(a.object, b.object)
      );
    });
    const maxTriples = options.first * 2;
    return {
      nodes: [...kept.keys()].map((name) => ({ name, degree: this.degree(name) })),
      triples: triples.slice(0, maxTriples).map(spoOf),
      truncated: all.length > options.first || triples.length > maxTriples,
    };
  }

  /**
   * The shortest path whose names, read from `from`, come first in code point order; each hop's
   * triple the first by predicate, then subject.
   */
  path(
    from: string,
    to: string,
    options: { maxDepth: number; direction: Direction; predicates: readonly string[] | null },
  ): RefPath | null {
    if (!this.isNode(from) || !this.isNode(to)) return null;
    const ahead = this.distances([from], options.direction, options.predicates);
    const back: Direction = options.direction === 'OUT' ? 'IN' : options.direction === 'IN' ? 'OUT' : 'BOTH';
    const behind = this.distances([to], back, options.predicates);
    const length = ahead.get(to);
    if (length === undefined || length > options.maxDepth) return null;
    const nodes = [from];
    const triples: string[] = [];
    let current = from;
    for (let step = 1; step <= length; step += 1) {
      const choices = this.hops(current, options.direction, options.predicates).filter(
        (hop) => ahead.get(hop.to) === step && behind.get(hop.to) === length - step,
      );
      choices.sort(
        (a, b) =>
          byCodePoint(a.to, b.to) ||
          byCodePoint(a.triple.predicate, b.triple.predicate) ||
          byCodePoint(a.triple.subject, b.triple.subject),
      );
      const hop = choices[0] as Hop;
      nodes.push(hop.to);
      triples.push(spoOf(hop.triple));
      current = hop.to;
    }
    return { length, nodes, triples };
  }
}

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
