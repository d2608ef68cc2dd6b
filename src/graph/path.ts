import type { Db } from '../db/client.ts';
import { expandFrontier, type Step } from './expand.ts';
import { compareNames } from './neighborhood.ts';
import { type EdgeFilter, type GraphDirection, type GraphEdge, type GraphScope, reverse } from './sql.ts';

/** How long a path may be, and how wide each level of the search may grow. */
export interface PathLimits {
  /** Most hops. */
  maxDepth: number;
  /** Most edges read per level and direction (GRAPH_MAX_FANOUT). */
  fanOut: number;
}

/** A path: its names from the start to the end, and the edge of each hop. */
export interface FoundPath {
  nodes: string[];
  edges: GraphEdge[];
}

/** One end's breadth-first search. */
interface Side {
  direction: GraphDirection;
  /** Hops from this side's start, for every name reached. */
  distance: Map<string, number>;
  /** For each name reached, every edge that reached it from a name one hop nearer this side's start. */
  parents: Map<string, Step[]>;
  frontier: string[];
  depth: number;
}

function side(start: string, direction: GraphDirection): Side {
  return { direction, distance: new Map([[start, 0]]), parents: new Map(), frontier: [start], depth: 0 };
}

/** The hop to take among several: to the smallest name, then by predicate and subject. */
function smallest(steps: Step[], next: (step: Step) => string): Step | undefined {
  const order = (a: Step, b: Step) =>
    compareNames(next(a), next(b)) ||
    compareNames(a.edge.predicate, b.edge.predicate) ||
    compareNames(a.edge.subject, b.edge.subject);
  let best: Step | undefined;
  for (const step of steps) if (!best || order(step, best) < 0) best = step;
  return best;
}

/**
 * The path through the names where the two searches met, `ahead` hops from the start:
 * among all shortest paths, the one whose names, read from the start, come first in code point
 * order (then each hop's edge by predicate and subject), so every database gives the same one.
 */
function assemble(from: string, forward: Side, backward: Side, meet: Set<string>, ahead: number): FoundPath {
  // The forward search's names that lead to a meeting name, level by level back to the start.
  const onPath = new Set(meet);
  let level = [...meet];
  for (let hops = ahead; hops > 0; hops -= 1) {
    const previous = new Set<string>();
    for (const name of level) {
      for (const step of forward.parents.get(name) ?? []) previous.add(step.from);
    }
    for (const name of previous) onPath.add(name);
    level = [...previous];
  }
  const nodes = [from];
  const edges: GraphEdge[] = [];
  let current = from;
  for (let hops = 1; hops <= ahead; hops += 1) {
    const choices: Step[] = [];
    for (const name of onPath) {
      if (forward.distance.get(name) !== hops) continue;
      for (const step of forward.parents.get(name) ?? []) if (step.from === current) choices.push(step);
    }
    const step = smallest(choices, (choice) => choice.to) as Step;
    nodes.push(step.to);
    edges.push(step.edge);
    current = step.to;
  }
  // The backward search reached each name from one a hop nearer the end: walk those to it.
  for (let left = backward.distance.get(current) ?? 0; left > 0; left -= 1) {
    const step = smallest(backward.parents.get(current) ?? [], (choice) => choice.from) as Step;
    nodes.push(step.from);
    edges.push(step.edge);
    current = step.from;
  }
  return { nodes, edges };
}

/**
 * A shortest path from `from` to `to` of at most `maxDepth` hops, or null: a breadth-first search
 * from each end (the far one following edges backwards), one statement per level, each level
 * expanding the end whose frontier is smaller, until the two meet. Both names must be nodes.
 * Should the fan-out cap cut a level, a path may be missed (or a longer one found).
 */
export async function shortestPath(
  db: Db,
  scope: GraphScope,
  from: string,
  to: string,
  filter: EdgeFilter,
  limits: PathLimits,
): Promise<FoundPath | null> {
  if (from === to) return { nodes: [from], edges: [] };
  const forward = side(from, filter.direction);
  const backward = side(to, reverse(filter.direction));
  while (forward.depth + backward.depth < limits.maxDepth) {
    if (forward.frontier.length === 0 || backward.frontier.length === 0) return null;
    const [near, far] =
      forward.frontier.length <= backward.frontier.length ? [forward, backward] : [backward, forward];
    const { steps } = await expandFrontier(
      db,
      scope,
      near.frontier,
      { direction: near.direction, predicates: filter.predicates },
      limits.fanOut,
    );
    near.depth += 1;
    const reached: string[] = [];
    for (const step of steps) {
      if (!near.distance.has(step.to)) {
        near.distance.set(step.to, near.depth);
        reached.push(step.to);
      }
      if (near.distance.get(step.to) !== near.depth) continue;
      const parents = near.parents.get(step.to);
      if (parents) parents.push(step);
      else near.parents.set(step.to, [step]);
    }
    near.frontier = reached;
    const met = reached.filter((name) => far.distance.has(name));
    if (met.length === 0) continue;
    const length = (name: string) => near.depth + (far.distance.get(name) as number);
    const best = Math.min(...met.map(length));
    const meet = new Set(met.filter((name) => length(name) === best));
    const ahead = near === forward ? near.depth : best - near.depth;
    return assemble(from, forward, backward, meet, ahead);
  }
  return null;
}
