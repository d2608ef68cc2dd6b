/**
 * The drawing: cytoscape with names as nodes (the name is the node's id) and triples as edges (the
 * triple's global id is the edge's id). Labels are drawn as text on a canvas, so no name is ever
 * parsed as HTML. Elements are looked up by id, never by a selector built from a name.
 */

/** The types Engram's predicates give names, each its own colour; other types share the rest. */
const TYPE_COLORS = {
  person: '#7b61c9',
  place: '#b07a3f',
  organization: '#e15759',
  date: '#76b7b2',
  language: '#4e79a7',
};
const PALETTE = ['#f28e2b', '#edc948', '#9c755f', '#ff9da7', '#59a14f', '#bab0ac'];
const UNTYPED = '#8a94a6';

function typeColor(type) {
  if (!type) return UNTYPED;
  if (Object.hasOwn(TYPE_COLORS, type)) return TYPE_COLORS[type];
  let hash = 0;
  for (const char of type) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

const STYLE = [
  {
    selector: 'node',
    style: {
      label: 'data(name)',
      'background-color': 'data(color)',
      width: 'mapData(degree, 0, 12, 22, 56)',
      height: 'mapData(degree, 0, 12, 22, 56)',
      color: '#1d2433',
      'font-size': 12,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.8,
      'text-background-padding': 2,
    },
  },
  {
    selector: 'edge',
    style: {
      label: 'data(predicate)',
      width: 1.5,
      'curve-style': 'bezier',
      'line-color': '#a7b0c0',
      'target-arrow-color': '#a7b0c0',
      'target-arrow-shape': 'triangle',
      'font-size': 10,
      color: '#56607a',
      'text-rotation': 'autorotate',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.8,
    },
  },
  { selector: 'node.focus', style: { 'border-width': 3, 'border-color': '#1d2433' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#2f6fde' } },
  { selector: 'node.path', style: { 'border-width': 4, 'border-color': '#e8590c' } },
  {
    selector: 'edge.path',
    style: { width: 5, 'line-color': '#e8590c', 'target-arrow-color': '#e8590c', color: '#b8430a' },
  },
  { selector: 'node.fresh', style: { 'border-width': 4, 'border-color': '#2b8a3e' } },
  { selector: 'edge.fresh', style: { width: 4, 'line-color': '#2b8a3e', 'target-arrow-color': '#2b8a3e' } },
];

/** How long a triple that arrived live stays highlighted. */
const FRESH_MS = 4000;

/**
 * @param container the element to draw in
 * @param handlers `onNodeTap(name)`, `onEdgeTap(triple)`, `onChange({ nodes, edges })`
 */
export function createGraphView(container, handlers) {
  const cy = globalThis.cytoscape({
    container,
    style: STYLE,
    minZoom: 0.2,
    maxZoom: 3,
    boxSelectionEnabled: false,
  });

  const changed = () => handlers.onChange({ nodes: cy.nodes().length, edges: cy.edges().length });

  const nodeData = (node) => ({
    id: node.name,
    name: node.name,
    type: node.type ?? null,
    degree: node.degree ?? 1,
    color: typeColor(node.type),
  });

  const edgeData = (triple) => ({
    id: triple.id,
    source: triple.subject.name,
    target: triple.object.name,
    predicate: triple.predicate.name,
    triple,
  });

  /** Adds what is missing; returns the elements added. `near` places new nodes beside a node. */
  const add = ({ nodes = [], triples = [] }, near) => {
    const origin = near ? cy.getElementById(near) : null;
    const at = origin?.nonempty() ? origin.position() : null;
    const added = cy.collection();
    const addNode = (node) => {
      const existing = cy.getElementById(node.name);
      if (existing.nonempty()) {
        if (node.degree !== undefined) existing.data({ degree: node.degree, type: node.type ?? null });
        return;
      }
      const spread = () => (Math.random() - 0.5) * 120;
      const position = at ? { x: at.x + spread(), y: at.y + spread() } : undefined;
      added.merge(cy.add({ group: 'nodes', data: nodeData(node), ...(position ? { position } : {}) }));
    };
    for (const node of nodes) addNode(node);
    for (const triple of triples) {
      addNode({ name: triple.subject.name, type: triple.subject.type });
      addNode({ name: triple.object.name, type: triple.object.type });
      if (cy.getElementById(triple.id).empty())
        added.merge(cy.add({ group: 'edges', data: edgeData(triple) }));
    }
    return added;
  };

  const layout = (randomize) => {
    if (cy.nodes().empty()) return;
    cy.layout({
      name: 'cose',
      animate: false,
      randomize,
      fit: true,
      padding: 40,
      nodeDimensionsIncludeLabels: true,
    }).run();
  };

  const flash = (elements) => {
    elements.addClass('fresh');
    setTimeout(() => elements.removeClass('fresh'), FRESH_MS);
  };

  cy.on('tap', 'node', (event) => handlers.onNodeTap(event.target.id()));
  cy.on('tap', 'edge', (event) => handlers.onEdgeTap(event.target.data('triple')));

  return {
    cy,
    /** Shows only this graph; `focus` is the name it is about. */
    replace(graph, focus) {
      cy.elements().remove();
      add(graph);
      if (focus) cy.getElementById(focus).addClass('focus');
      layout(true);
      changed();
    },
    /** Adds a neighbourhood to what is shown, new names placed around `around`. */
    merge(graph, around) {
      const added = add(graph, around);
      if (added.nonempty()) layout(false);
      changed();
      return added.nodes().length;
    },
    /** Marks a path (adding what is missing) and unmarks the previous one. */
    showPath(path) {
      cy.elements().removeClass('path');
      const added = add(path);
      for (const node of path.nodes) cy.getElementById(node.name).addClass('path');
      for (const triple of path.triples) cy.getElementById(triple.id).addClass('path');
      if (added.nonempty()) layout(false);
      changed();
    },
    clearPath() {
      cy.elements().removeClass('path');
    },
    /** A triple that now holds: drawn (highlighted for a moment) unless it already is. */
    addTriple(triple) {
      const known = cy.getElementById(triple.id).nonempty();
      const added = add({ triples: [triple] }, triple.subject.name);
      if (!known) {
        for (const name of new Set([triple.subject.name, triple.object.name])) {
          const node = cy.getElementById(name);
          if (!added.contains(node)) node.data('degree', node.data('degree') + 1);
        }
      }
      flash(cy.getElementById(triple.id).union(added));
      if (added.nodes().nonempty()) layout(false);
      changed();
    },
    /** A triple that no longer holds: its edge goes, and so do names left without any triple. */
    removeTriple(triple) {
      const edge = cy.getElementById(triple.id);
      if (edge.empty()) return;
      const ends = edge.connectedNodes();
      edge.remove();
      for (const node of ends) {
        if (node.connectedEdges().empty()) node.remove();
        else node.data('degree', Math.max(1, node.data('degree') - 1));
      }
      changed();
    },
    select(name) {
      cy.nodes().unselect();
      cy.getElementById(name).select();
    },
    has: (name) => cy.getElementById(name).nonempty(),
    node(name) {
      const node = cy.getElementById(name);
      return node.nonempty() ? { name, type: node.data('type'), degree: node.data('degree') } : null;
    },
    clear() {
      cy.elements().remove();
      changed();
    },
  };
}
