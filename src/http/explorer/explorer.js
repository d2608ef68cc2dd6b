/**
 * The explorer page: pick an entity, search its names, show a neighbourhood, expand a name by
 * clicking it, follow a path, move through time, and watch triples arrive. Every text from the
 * server reaches the page through textContent or a canvas label, never as HTML.
 */
import { ApiError, follow, request, storeCredential, storedCredential } from './api.js';
import { ENTITIES, NEIGHBORHOOD, OVERVIEW, PATH, SEARCH, SUBGRAPH, TRIPLE_CHANGED } from './documents.js';
import { createGraphView } from './graph-view.js';

const $ = (id) => document.getElementById(id);

const state = {
  /** The entity's external id, once one is open. */
  entity: null,
  /** The moment shown (ISO), or null for now. */
  asOf: null,
  /** When the entity's triples started or stopped holding, oldest first (ISO strings). */
  moments: [],
  /** What the graph is built from: the entity's hubs, or one name's neighbourhood. */
  base: { kind: 'overview' },
  /** Names expanded by a click since, merged in that order. */
  expanded: [],
  /** The path followed, if any. */
  path: null,
  stopLive: null,
  /** Answers to a load that a later one replaced are dropped. */
  generation: 0,
  busy: 0,
};

const view = createGraphView($('graph'), {
  onNodeTap: (name) => void expand(name),
  onEdgeTap: (triple) => showTriple(triple),
  onChange: ({ nodes, edges }) => {
    const counter = $('counter');
    counter.dataset.nodes = String(nodes);
    counter.dataset.edges = String(edges);
    counter.textContent = `${nodes} ${nodes === 1 ? 'name' : 'names'}, ${edges} ${edges === 1 ? 'triple' : 'triples'} shown`;
  },
});
// For the browser console and the browser test (which reads node positions to click them).
globalThis.explorer = { cy: view.cy };

function setStatus(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

function showError(error) {
  const code = error instanceof ApiError && error.code ? ` (${error.code})` : '';
  setStatus(`${error.message}${code}`, 'error');
}

async function busy(work) {
  state.busy += 1;
  document.body.dataset.busy = 'true';
  try {
    return await work();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    state.busy -= 1;
    if (state.busy === 0) document.body.dataset.busy = 'false';
  }
}

const vars = (extra) => ({ entity: state.entity, asOf: state.asOf, ...extra });

/** The open entity in an answer; an entity the credential cannot see is null, like a missing one. */
function entityOf(data) {
  if (!data.entity)
    throw new ApiError(`no entity "${state.entity}" is visible with this credential`, 'NOT_FOUND');
  return data.entity;
}

async function graphOf(query, extra, field) {
  return entityOf(await request(query, vars(extra))).graph[field];
}

function note(text) {
  $('note').textContent = text;
}

// ---- loading what is shown ----

async function loadOverview() {
  return entityOf(await request(OVERVIEW, vars()));
}

/** Rebuilds the whole picture at the current moment: the base, each expansion, the path. */
async function render() {
  const generation = ++state.generation;
  await busy(async () => {
    const overview = await loadOverview();
    const hubs = overview.graph.nodes.edges.map((edge) => edge.node.name);
    const base =
      state.base.kind === 'overview'
        ? hubs.length > 0
          ? await graphOf(SUBGRAPH, { seeds: hubs }, 'subgraph')
          : { nodes: [], triples: [], truncated: false }
        : await graphOf(NEIGHBORHOOD, { of: state.base.name, depth: state.base.depth }, 'neighborhood');
    const expansions = await Promise.all(
      state.expanded.map((name) => graphOf(NEIGHBORHOOD, { of: name, depth: 1 }, 'neighborhood')),
    );
    const path = state.path ? await graphOf(PATH, state.path, 'path') : null;
    if (generation !== state.generation) return;
    setMoments(overview.triples.edges.map((edge) => edge.node));
    $('total').textContent = `${overview.graph.nodes.totalCount} names in this graph`;
    if (!base) {
      view.clear();
      setStatus(`no name "${state.base.name}" in this graph${state.asOf ? ' at that moment' : ''}`, 'error');
      return;
    }
    view.replace(base, state.base.kind === 'neighborhood' ? state.base.name : null);
    for (const [index, expansion] of expansions.entries()) {
      if (expansion) view.merge(expansion, state.expanded[index]);
    }
    if (path) view.showPath(path);
    showPathText(path);
    if (base.nodes.length === 0) note(`No triples${state.asOf ? ' at that moment' : ' yet'}.`);
    else note(base.truncated ? 'Some names were left out: a name has more neighbours than one page.' : '');
    setStatus(describeBase());
  });
}

function describeBase() {
  const when = state.asOf ? ` as of ${new Date(state.asOf).toLocaleString()}` : '';
  if (state.base.kind === 'overview') return `${state.entity}: the best-connected names${when}`;
  return `${state.entity}: within ${state.base.depth} of ${state.base.name}${when}`;
}

async function openEntity(entity, name) {
  state.stopLive?.();
  state.stopLive = null;
  state.entity = entity;
  state.asOf = null;
  state.moments = [];
  state.expanded = [];
  state.path = null;
  state.base = name ? { kind: 'neighborhood', name, depth: depth() } : { kind: 'overview' };
  $('entity').value = entity;
  document.body.dataset.entity = entity;
  clearSelection();
  $('activity').replaceChildren();
  updateHash();
  await render();
  state.stopLive = follow(entity, TRIPLE_CHANGED, onTripleChanged, showLive);
}

const depth = () => Number($('depth').value) || 1;

async function showNeighborhood(name) {
  if (!state.entity) return setStatus('open an entity first', 'error');
  state.base = { kind: 'neighborhood', name, depth: depth() };
  state.expanded = [];
  state.path = null;
  updateHash();
  await render();
}

/** Merges a name's neighbourhood into the picture (a click on a node). */
async function expand(name) {
  view.select(name);
  showNode(name);
  await busy(async () => {
    const neighborhood = await graphOf(NEIGHBORHOOD, { of: name, depth: 1 }, 'neighborhood');
    if (!neighborhood) return;
    if (!state.expanded.includes(name)) state.expanded.push(name);
    const added = view.merge(neighborhood, name);
    setStatus(added ? `expanded ${name}: ${added} more` : `${name} has no other neighbours`);
    if (neighborhood.truncated) note(`${name} has more neighbours than one page: some were left out.`);
  });
}

async function followPath(from, to) {
  if (!state.entity) return setStatus('open an entity first', 'error');
  state.path = { from, to };
  await busy(async () => {
    const path = await graphOf(PATH, state.path, 'path');
    if (path) view.showPath(path);
    else view.clearPath();
    showPathText(path);
  });
}

function showPathText(path) {
  const box = $('path-result');
  box.replaceChildren();
  if (!state.path) return;
  if (!path) {
    box.textContent = `No path of at most 4 steps from ${state.path.from} to ${state.path.to}.`;
    return;
  }
  const steps = document.createElement('ol');
  for (const triple of path.triples) {
    const step = document.createElement('li');
    step.textContent = `${triple.subject.name} ${triple.predicate.name} ${triple.object.name}`;
    steps.append(step);
  }
  const summary = document.createElement('p');
  summary.textContent = `${path.length} ${path.length === 1 ? 'step' : 'steps'}`;
  box.dataset.length = String(path.length);
  box.append(summary, steps);
}

// ---- search ----

let searchTimer;
function searchSoon() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void search($('search').value.trim()), 250);
}

async function search(text) {
  const list = $('search-results');
  if (!state.entity || !text) return list.replaceChildren();
  await busy(async () => {
    const nodes = await graphOf(SEARCH, { search: text }, 'nodes');
    if ($('search').value.trim() !== text) return;
    list.replaceChildren(
      ...nodes.edges.map(({ node }) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = `${node.name} (${node.degree})`;
        button.addEventListener('click', () => {
          $('search').value = node.name;
          void showNeighborhood(node.name);
        });
        item.append(button);
        return item;
      }),
    );
    if (nodes.totalCount === 0) list.replaceChildren(listItem('no name matches'));
  });
}

function listItem(text) {
  const item = document.createElement('li');
  item.textContent = text;
  return item;
}

// ---- time ----

function setMoments(periods) {
  const moments = new Set(state.moments);
  for (const period of periods) {
    moments.add(period.validFrom);
    if (period.validTo) moments.add(period.validTo);
    for (const earlier of period.earlierPeriods ?? []) {
      moments.add(earlier.validFrom);
      moments.add(earlier.validTo);
    }
  }
  const slider = $('as-of');
  const atNow = state.asOf === null;
  state.moments = [...moments].sort((a, b) => Date.parse(a) - Date.parse(b));
  slider.max = String(state.moments.length);
  slider.value = atNow ? slider.max : String(Math.max(0, state.moments.indexOf(state.asOf)));
  showMoment();
}

function sliderMoment() {
  const position = Number($('as-of').value);
  return position >= state.moments.length ? null : (state.moments[position] ?? null);
}

function showMoment() {
  const moment = sliderMoment();
  const label = $('as-of-label');
  label.textContent = moment ? new Date(moment).toLocaleString() : 'now';
  label.title = moment ?? '';
  label.dataset.asOf = moment ?? '';
}

// ---- live ----

function showLive(live, reason) {
  const badge = $('live');
  badge.dataset.state = live;
  badge.textContent = live === 'offline' && reason ? `offline: ${reason}` : live;
}

function onTripleChanged(event) {
  const { kind, triple } = event;
  setMoments([triple]);
  const entry = listItem(
    `${kind.toLowerCase()}: ${triple.subject.name} ${triple.predicate.name} ${triple.object.name}`,
  );
  entry.dataset.kind = kind;
  $('activity').prepend(entry);
  while ($('activity').children.length > 50) $('activity').lastElementChild.remove();
  // A past moment stays as it was; the change is listed above and shown when back at now.
  if (state.asOf !== null) return;
  if ((kind === 'CREATED' || kind === 'MENTIONED') && !triple.validTo) view.addTriple(triple);
  else if (kind === 'SUPERSEDED' || kind === 'FORGOTTEN') view.removeTriple(triple);
  refreshSoon();
}

let refreshTimer;
/** After a burst of changes: the name count again, and the path (a hop may have gone). */
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    if (state.asOf !== null || !state.entity) return;
    void busy(async () => {
      const overview = await loadOverview();
      $('total').textContent = `${overview.graph.nodes.totalCount} names in this graph`;
    });
    if (state.path) void followPath(state.path.from, state.path.to);
  }, 300);
}

// ---- selection ----

function clearSelection() {
  const hint = document.createElement('p');
  hint.textContent = 'Click a name to expand it, a line to see its triple.';
  $('selection').replaceChildren(hint);
}

function showNode(name) {
  const node = view.node(name);
  const box = $('selection');
  const title = document.createElement('h3');
  title.textContent = name;
  const facts = document.createElement('p');
  facts.textContent = `${node?.type ?? 'no type'} · ${node?.degree ?? 0} triples`;
  const actions = document.createElement('div');
  actions.append(
    button('Centre here', () => {
      $('search').value = name;
      void showNeighborhood(name);
    }),
    button('Path from', () => {
      $('path-from').value = name;
    }),
    button('Path to', () => {
      $('path-to').value = name;
    }),
  );
  box.replaceChildren(title, facts, actions);
}

function showTriple(triple) {
  const title = document.createElement('h3');
  title.textContent = `${triple.subject.name} ${triple.predicate.name} ${triple.object.name}`;
  const since = document.createElement('p');
  since.textContent = `holds since ${new Date(triple.validFrom).toLocaleString()}`;
  $('selection').replaceChildren(title, since);
}

function button(text, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  element.addEventListener('click', onClick);
  return element;
}

// ---- credentials, entities, the address bar ----

async function loadEntities() {
  const list = $('entity-list');
  try {
    const data = await request(ENTITIES, {});
    list.replaceChildren(
      ...data.entities.edges.map(({ node }) => {
        const option = document.createElement('option');
        option.value = node.externalId;
        return option;
      }),
    );
    const count = data.entities.edges.length;
    $('entity-hint').textContent = `${count} ${count === 1 ? 'entity' : 'entities'} listed`;
  } catch {
    list.replaceChildren();
    $('entity-hint').textContent = 'Type the external id (the list needs an admin key).';
  }
}

function showCredential() {
  const set = storedCredential() !== '';
  $('credential-state').textContent = set ? 'A credential is set for this tab.' : 'No credential set.';
  document.body.dataset.credential = set ? 'set' : 'none';
}

function updateHash() {
  const params = new URLSearchParams();
  if (state.entity) params.set('entity', state.entity);
  if (state.base.kind === 'neighborhood') params.set('name', state.base.name);
  history.replaceState(null, '', `#${params}`);
}

function on(id, event, handler) {
  $(id).addEventListener(event, (domEvent) => {
    if (event === 'submit') domEvent.preventDefault();
    handler(domEvent);
  });
}

on('credential-form', 'submit', () => {
  storeCredential($('credential').value.trim());
  $('credential').value = '';
  showCredential();
  void loadEntities();
  if (state.entity) void openEntity(state.entity);
});
on('forget', 'click', () => {
  storeCredential('');
  showCredential();
  void loadEntities();
});
on('entity-form', 'submit', () => {
  const entity = $('entity').value.trim();
  if (entity) void openEntity(entity);
});
on('search', 'input', searchSoon);
on('search-form', 'submit', () => {
  const name = $('search').value.trim();
  if (name) void showNeighborhood(name);
});
on('path-form', 'submit', () => {
  const from = $('path-from').value.trim();
  const to = $('path-to').value.trim();
  if (from && to) void followPath(from, to);
});
on('as-of', 'input', showMoment);
on('as-of', 'change', () => {
  state.asOf = sliderMoment();
  void render();
});

showCredential();
showLive('offline');
document.body.dataset.busy = 'false';
void loadEntities();
const start = new URLSearchParams(location.hash.slice(1));
if (start.get('entity')) void openEntity(start.get('entity'), start.get('name') ?? undefined);
else setStatus('Pick an entity to explore its graph.');
