// The web map of the coordimap_graph extension: sigma (WebGL) draws a
// graphology graph that the query API fills; ForceAtlas2 lays it out in a
// web worker for a bounded time.
import Graph from "graphology";
import Sigma from "sigma";
import FA2Layout from "graphology-layout-forceatlas2/worker";
import { inferSettings } from "graphology-layout-forceatlas2";
import { get, nodeFilterParams } from "./api.js";
import { readView, writeView, hasFilter, emptyView } from "./view.js";

// Above this many nodes the map asks for a filter before drawing.
const GATE = 2000;
// The most nodes one view draws (the API's /graph maximum).
const MAX_VIEW = 50000;
const NEIGHBOURHOOD_LIMIT = 300;

// Group colours; red and green are kept for vanished and appeared.
const PALETTE = [
  "#0b6bcb", "#f76b15", "#8e4ec6", "#12a594", "#d6409f", "#ad7f58",
  "#3e63dd", "#978365", "#00a2c7", "#ffb224", "#5b5bd6", "#7c66dc",
];
const OTHER = "#8b8d98";
const DIM = "#d9dce1";
const APPEARED = "#30a46c";
const VANISHED = "#e5484d";

const $ = (id) => document.getElementById(id);

// What the page exposes to tests and benchmarks, read-only.
const probe = {
  ready: false, // the first view finished loading (drawn, gated or empty)
  drawn: false, // sigma rendered the current view's nodes
  firstDrawMs: null, // performance.now() at the first draw with nodes
  loadMs: null, // from the start of the last load to its draw
  renders: 0,
  gated: false,
  total: 0,
  layoutRunning: false,
  error: "",
  inspected: null, // the node the inspector shows (with data)
  timings: {}, // the last load's phases, in ms: count, fetch, build, render
};

let view = readView(location.search);
let summary = null;
let graph = new Graph({ type: "directed", multi: true, allowSelfLoops: false });
let renderer = null;
let layout = null;
let layoutTimer = null;
let loadSeq = 0;
let loadStarted = 0;
let wantDraw = false;
let layoutPending = false;
let focus = null; // Set of node IDs to highlight (selection's neighbours, impact)
let colourOf = new Map(); // group key → colour
let diff = null;

window.coordimapMap = Object.freeze({
  get ready() { return probe.ready; },
  get drawn() { return probe.drawn; },
  get firstDrawMs() { return probe.firstDrawMs; },
  get loadMs() { return probe.loadMs; },
  get renders() { return probe.renders; },
  get gated() { return probe.gated; },
  get total() { return probe.total; },
  get layoutRunning() { return probe.layoutRunning || layoutPending; },
  get error() { return probe.error; },
  get nodes() { return graph.order; },
  get edges() { return graph.size; },
  get renderedNodes() {
    if (!renderer || !probe.drawn) return 0;
    let n = 0;
    graph.forEachNode((id) => {
      const d = renderer.getNodeDisplayData(id);
      if (d && !d.hidden) n++;
    });
    return n;
  },
  get selected() { return view.node; },
  get asOf() { return view.asOf; },
  get url() { return location.search; },
  get vanished() { return graph.filterNodes((_, a) => a.vanished); },
  get appeared() { return graph.filterNodes((_, a) => a.appeared); },
  get timings() { return { ...probe.timings }; },
  get inspected() { return probe.inspected ? JSON.parse(JSON.stringify(probe.inspected)) : null; },
  hasNode(id) { return graph.hasNode(id); },
  // Where a node is drawn, in CSS pixels from the map's top left corner.
  position(id) {
    const d = renderer && graph.hasNode(id) ? renderer.getNodeDisplayData(id) : null;
    if (!d) return null;
    const p = renderer.framedGraphToViewport(d);
    return { x: p.x, y: p.y };
  },
  node(id) {
    if (!graph.hasNode(id)) return null;
    const a = graph.getNodeAttributes(id);
    return { id, label: a.label, type: a.nodeType, color: a.color, vanished: !!a.vanished, appeared: !!a.appeared, x: a.x, y: a.y };
  },
});

// ---------------------------------------------------------------- status

function setStatus(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", !!isError);
  if (isError) probe.error = text;
}

function fmtTime(t) {
  if (!t) return "";
  const d = new Date(t);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function fmtInt(n) {
  return Number(n || 0).toLocaleString("en-US");
}

// ---------------------------------------------------------------- groups and colours

function groupKey(n) {
  switch (view.by) {
    case "group": return n.group || "(none)";
    case "type": return n.type;
    case "data_source": return n.data_source_id || "(none)";
    case "none": return "";
    default: return n.scope_id || "(none)";
  }
}

function assignColours(nodes) {
  const counts = new Map();
  for (const n of nodes) {
    const k = groupKey(n);
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || a.localeCompare(b));
  colourOf = new Map();
  keys.forEach((k, i) => colourOf.set(k, view.by === "none" ? PALETTE[0] : i < PALETTE.length ? PALETTE[i] : OTHER));
  const legend = $("legend");
  legend.replaceChildren();
  if (view.by === "none") return;
  keys.slice(0, PALETTE.length).forEach((k) => {
    const li = document.createElement("li");
    const dot = document.createElement("i");
    dot.style.background = colourOf.get(k);
    li.append(dot, `${k} (${fmtInt(counts.get(k))})`);
    li.title = k;
    legend.append(li);
  });
  if (keys.length > PALETTE.length) {
    const li = document.createElement("li");
    const dot = document.createElement("i");
    dot.style.background = OTHER;
    li.append(dot, `${keys.length - PALETTE.length} more`);
    legend.append(li);
  }
}

// ---------------------------------------------------------------- graph building

function nodeAttrs(n, extra) {
  return {
    label: n.name || n.id,
    nodeType: n.type,
    scope: n.scope_id,
    group: n.group || "",
    dataSource: n.data_source_id,
    status: n.status || "",
    groupKey: groupKey(n),
    color: colourOf.get(groupKey(n)) || OTHER,
    size: 3,
    ...extra,
  };
}

function edgeKey(e) {
  return e.source + "\u001f" + e.destination + "\u001f" + e.type;
}

function addEdge(g, e, extra) {
  if (e.source === e.destination) return;
  if (!g.hasNode(e.source) || !g.hasNode(e.destination)) return;
  const key = edgeKey(e);
  if (g.hasEdge(key)) return;
  g.addDirectedEdgeWithKey(key, e.source, e.destination, {
    relation: e.type,
    observed: !!e.observed,
    color: e.observed ? "#f3b48c" : "#c4c7cd",
    size: e.observed ? 1.2 : 0.8,
    type: "arrow",
    ...extra,
  });
}

// seedPositions places each group's nodes around its own centre, the
// centres on a spiral, so that groups start as clusters.
function seedPositions(g) {
  const byGroup = new Map();
  g.forEachNode((id, a) => {
    if (a.x !== undefined) return;
    const k = a.groupKey;
    if (!byGroup.has(k)) byGroup.set(k, []);
    byGroup.get(k).push(id);
  });
  const groups = [...byGroup.entries()].sort((a, b) => b[1].length - a[1].length);
  // Group centres on a sunflower spiral spaced by the largest disc.
  const maxR = groups.length ? Math.sqrt(groups[0][1].length + 0.5) * 6 : 0;
  groups.forEach(([, ids], k) => {
    const a = k * 2.39996;
    const dist = Math.sqrt(k) * maxR * 2.2;
    const cx = Math.cos(a) * dist;
    const cy = Math.sin(a) * dist;
    ids.forEach((id, i) => {
      // Golden-angle disc: even, deterministic.
      const t = i * 2.39996;
      const d = Math.sqrt(i + 0.5) * 6;
      g.mergeNodeAttributes(id, { x: cx + Math.cos(t) * d, y: cy + Math.sin(t) * d });
    });
  });
}

function sizeByDegree(g) {
  const big = g.order > 3000;
  if (renderer) renderer.setSetting("labelRenderedSizeThreshold", g.order <= 300 ? 0 : 7);
  g.forEachNode((id) => {
    const d = g.degree(id);
    g.setNodeAttribute(id, "size", Math.min(big ? 8 : 14, (big ? 1.5 : 3) + Math.sqrt(d) * (big ? 0.7 : 1.2)));
  });
}

// ---------------------------------------------------------------- rendering

function nodeReducer(id, a) {
  const res = { ...a };
  if (a.appeared) {
    res.color = APPEARED;
    res.label = "+ " + a.label;
  } else if (a.vanished) {
    res.color = VANISHED;
    res.label = "− " + a.label;
  }
  if (focus && !focus.has(id)) {
    res.color = DIM;
    res.label = "";
    res.zIndex = 0;
  } else if (focus) {
    res.zIndex = 1;
  }
  if (id === view.node) {
    res.highlighted = true;
    res.forceLabel = true;
    res.size = (a.size || 3) * 1.6;
    res.zIndex = 2;
  }
  return res;
}

function edgeReducer(id, a) {
  if (view.rels.length && !view.rels.includes(a.relation)) return { ...a, hidden: true };
  if (focus) {
    const [s, d] = graph.extremities(id);
    if (!focus.has(s) || !focus.has(d)) return { ...a, hidden: true };
  }
  if (a.vanished) return { ...a, color: VANISHED };
  return a;
}

function ensureRenderer() {
  if (renderer) return;
  renderer = new Sigma(graph, $("map"), {
    nodeReducer,
    edgeReducer,
    defaultEdgeType: "arrow",
    renderEdgeLabels: false,
    hideEdgesOnMove: true,
    labelRenderedSizeThreshold: graph.order <= 300 ? 0 : 7,
    labelDensity: 0.6,
    zIndex: true,
    allowInvalidContainer: true,
  });
  renderer.on("afterRender", () => {
    probe.renders++;
    if (!wantDraw) return;
    wantDraw = false;
    const seq = loadSeq;
    // Drawn means on screen: two frames after the one sigma filled. The
    // first comes at once; the browser starts the second only once sigma's
    // frame is rasterised (seconds for 40,000 items without a GPU).
    const afterFrames = (n, fn) => requestAnimationFrame(() => (n > 1 ? afterFrames(n - 1, fn) : fn()));
    afterFrames(2, () => {
      if (seq !== loadSeq) return;
      probe.drawn = true;
      const now = performance.now();
      probe.loadMs = Math.round(now - loadStarted);
      probe.timings.render = Math.round(now - probe.timings.drawStart);
      frameCost = now - probe.timings.drawStart;
      if (probe.firstDrawMs === null && graph.order > 0) probe.firstDrawMs = Math.round(now);
      probe.ready = true;
      // The layout starts once the first frame is out: on a machine
      // without a GPU the worker and the rasteriser share the cores.
      if (layoutPending) {
        layoutPending = false;
        runLayout();
      }
    });
  });
  renderer.on("clickNode", ({ node }) => select(node, graph.getNodeAttribute(node, "scope"), true));
  renderer.on("clickStage", () => select("", "", false));
}

// The layout runs on a copy of the graph (the worker's positions land
// there after every iteration) and the drawn graph takes the positions
// from it at most once a frame, and never more often than keeps drawing
// under about a tenth of the time: a software-rendered frame of 40,000
// items can take a second or more, and the page must stay usable (and
// painting) meanwhile.
let layoutGraph = null;
let syncFrame = 0;
let frameCost = 0; // ms from a position update to the frame after it
let frameMeasuring = false;

function syncPositions() {
  if (!layoutGraph) return;
  const lg = layoutGraph;
  const t = performance.now();
  frameMeasuring = true;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    frameCost = performance.now() - t;
    frameMeasuring = false;
  }));
  graph.updateEachNodeAttributes((id, a) => {
    if (lg.hasNode(id)) {
      const p = lg.getNodeAttributes(id);
      a.x = p.x;
      a.y = p.y;
    }
    return a;
  }, { attributes: ["x", "y"] });
}

let fitAfterLayout = false;

function stopLayout() {
  layoutPending = false;
  clearTimeout(layoutTimer);
  cancelAnimationFrame(syncFrame);
  if (layout) {
    layout.kill();
    syncPositions();
  }
  if (fitAfterLayout) {
    fitAfterLayout = false;
    if (view.node && graph.hasNode(view.node)) fitTo(focus || [view.node]);
  }
  layout = null;
  layoutGraph = null;
  probe.layoutRunning = false;
  $("layout").textContent = "Run layout";
}

// runLayout runs ForceAtlas2 in a worker for a time bounded by the graph's
// size, then stops it: the map stays responsive whatever the size.
function runLayout(ms) {
  stopLayout();
  if (graph.order < 2) return;
  const settings = inferSettings(graph);
  settings.barnesHutOptimize = graph.order > 1000;
  // Gravity keeps the components (scopes rarely link) on screen.
  settings.strongGravityMode = true;
  settings.gravity = graph.order > 2000 ? 0.05 : 0.5;
  settings.adjustSizes = false;
  settings.slowDown = graph.order > 5000 ? 5 : 2;
  layoutGraph = new Graph({ type: "directed", multi: true });
  graph.forEachNode((id, a) => layoutGraph.addNode(id, { x: a.x, y: a.y, size: a.size }));
  graph.forEachEdge((id, a, s, d) => layoutGraph.addEdgeWithKey(id, s, d));
  layout = new FA2Layout(layoutGraph, { settings });
  layout.start();
  probe.layoutRunning = true;
  $("layout").textContent = "Stop layout";
  const minEvery = graph.order > 3000 ? 250 : 0;
  let last = performance.now();
  const tick = (now) => {
    if (!layout) return;
    if (!frameMeasuring && now - last >= Math.max(minEvery, frameCost * 10)) {
      last = now;
      syncPositions();
    }
    syncFrame = requestAnimationFrame(tick);
  };
  syncFrame = requestAnimationFrame(tick);
  layoutTimer = setTimeout(stopLayout, ms ?? Math.min(8000, 1500 + graph.order * 0.5));
}

function draw(g) {
  stopLayout();
  graph = g;
  ensureRenderer();
  wantDraw = true;
  layoutPending = true;
  renderer.setGraph(graph);
  renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
  renderer.refresh();
}

// ---------------------------------------------------------------- loading a view

function pushView(replace) {
  const s = writeView(view);
  if (s === location.search) return;
  if (replace) history.replaceState(null, "", location.pathname + s);
  else history.pushState(null, "", location.pathname + s);
}

function showGate(total) {
  probe.gated = true;
  $("gate-text").textContent = `This view holds ${fmtInt(total)} nodes (more than ${fmtInt(GATE)}).`;
  $("gate-all").textContent = `Draw all ${fmtInt(Math.min(total, MAX_VIEW))} anyway`;
  $("gate").hidden = false;
}

async function load() {
  const seq = ++loadSeq;
  loadStarted = performance.now();
  probe.drawn = false;
  probe.gated = false;
  probe.error = "";
  $("gate").hidden = true;
  $("empty").hidden = true;
  setStatus("loading…");
  const filters = nodeFilterParams(view);
  try {
    // How many nodes the view holds decides whether it is drawn.
    let total;
    if (!hasFilter(view) && !view.asOf && summary) total = summary.nodes;
    else total = (await get("nodes", { ...filters, limit: 1 })).total;
    if (seq !== loadSeq) return;
    probe.total = total;
    if (total > GATE && !view.all) {
      draw(new Graph({ type: "directed", multi: true }));
      showGate(total);
      setStatus(`${fmtInt(total)} nodes: choose a filter`);
      probe.ready = true;
      await loadDiff(seq);
      return;
    }
    const t0 = performance.now();
    probe.timings = { count: Math.round(t0 - loadStarted) };
    const sg = await get("graph", { ...filters, limit: Math.min(Math.max(total, 1), MAX_VIEW) });
    if (seq !== loadSeq) return;
    const t1 = performance.now();
    probe.timings.fetch = Math.round(t1 - t0);
    const d = view.asOf ? await fetchDiff() : null;
    if (seq !== loadSeq) return;
    diff = d;
    const g = new Graph({ type: "directed", multi: true });
    const vanished = new Set(d ? d.deleted.filter((c) => c.kind === "node").map((c) => c.id) : []);
    const vanishedEdges = new Set(d ? d.deleted.filter((c) => c.kind === "edge").map((c) => c.source + "\u001f" + c.destination + "\u001f" + c.type) : []);
    assignColours(sg.nodes);
    for (const n of sg.nodes) {
      if (g.hasNode(n.id)) continue;
      g.addNode(n.id, nodeAttrs(n, vanished.has(n.id) ? { vanished: true } : {}));
    }
    for (const e of sg.edges) addEdge(g, e, vanishedEdges.has(edgeKey(e)) ? { vanished: true } : {});
    if (d) addAppeared(g, d);
    seedPositions(g);
    sizeByDegree(g);
    fillDatalists(sg.nodes);
    if (g.order === 0) $("empty").hidden = false;
    probe.timings.drawStart = performance.now();
    probe.timings.build = Math.round(probe.timings.drawStart - t1);
    draw(g);
    renderDiff();
    const shown = sg.truncated ? `${fmtInt(g.order)} of ${fmtInt(sg.total ?? total)}` : fmtInt(g.order);
    setStatus(`${shown} nodes · ${fmtInt(g.size)} edges${view.asOf ? " · as of " + fmtTime(view.asOf) : ""}`);
    if (g.order === 0) probe.ready = true;
    if (view.node) await select(view.node, view.nodeScope, false, true);
  } catch (err) {
    if (seq !== loadSeq) return;
    setStatus(err.message, true);
    probe.ready = true;
  }
}

async function fetchDiff() {
  return get("diff", { from: view.asOf, to: new Date().toISOString() });
}

async function loadDiff(seq) {
  if (!view.asOf) {
    diff = null;
    renderDiff();
    return;
  }
  const d = await fetchDiff();
  if (seq === loadSeq) {
    diff = d;
    renderDiff();
  }
}

// addAppeared draws what appeared after as_of (it is not in that graph)
// as green ghosts, when it fits the view's filters.
function addAppeared(g, d) {
  let n = 0;
  for (const c of d.created) {
    if (c.kind !== "node" || g.hasNode(c.id) || n >= 500) continue;
    if (view.types.length && !view.types.includes(c.type)) continue;
    if (view.scope && c.scope_id !== view.scope) continue;
    if (view.ds && c.data_source_id !== view.ds) continue;
    if (view.group || view.status || view.q) continue;
    const ghost = { id: c.id, name: c.name, type: c.type, scope_id: c.scope_id, data_source_id: c.data_source_id };
    g.addNode(c.id, nodeAttrs(ghost, { appeared: true }));
    n++;
  }
  for (const c of d.created) {
    if (c.kind === "edge" && c.source && c.destination) {
      addEdge(g, { source: c.source, destination: c.destination, type: c.type }, { appeared: true, color: APPEARED });
    }
  }
}

function renderDiff() {
  const box = $("diff");
  if (!diff) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const nodesOnly = (l) => l.filter((c) => c.kind === "node");
  const created = nodesOnly(diff.created), deleted = nodesOnly(diff.deleted), updated = nodesOnly(diff.updated);
  $("diff-from").textContent = fmtTime(diff.from);
  $("diff-created").textContent = fmtInt(created.length);
  $("diff-deleted").textContent = fmtInt(deleted.length);
  $("diff-updated").textContent = fmtInt(updated.length);
  const list = $("diff-list");
  list.replaceChildren();
  const entries = [...deleted.map((c) => ["deleted", c]), ...created.map((c) => ["created", c]), ...updated.map((c) => ["updated", c])];
  for (const [op, c] of entries.slice(0, 300)) {
    const li = document.createElement("li");
    li.className = op;
    li.textContent = `${c.name || c.id} (${c.type})`;
    li.title = `${op} ${fmtTime(c.at)}\n${c.id}`;
    li.dataset.id = c.id;
    li.addEventListener("click", () => select(c.id, c.scope_id, true));
    list.append(li);
  }
}

// ---------------------------------------------------------------- selection, inspector, expansion

let selectSeq = 0;

async function select(id, scope, expand, fromLoad) {
  const seq = ++selectSeq;
  view.node = id || "";
  view.nodeScope = id ? scope || "" : "";
  if (!fromLoad) pushView(false);
  if (!id) {
    focus = null;
    probe.inspected = null;
    $("inspector").hidden = true;
    renderer && renderer.refresh({ skipIndexation: true });
    return;
  }
  setFocus(id);
  try {
    const res = await get("node", { id, scope: scope || undefined });
    if (seq !== selectSeq) return;
    inspect(res);
    if (expand || !graph.hasNode(id)) await expandNeighbourhood(id, 1);
    if (seq !== selectSeq) return;
    setFocus(id);
    moveTo(id);
  } catch (err) {
    if (seq === selectSeq) setStatus(err.message, true);
  }
}

function setFocus(id) {
  if (!graph.hasNode(id)) {
    focus = null;
  } else {
    focus = new Set([id, ...graph.neighbors(id)]);
  }
  renderer && renderer.refresh({ skipIndexation: true });
}

// fitTo moves the camera to show these nodes (the selection and its
// neighbours), never zooming in further than needed for one node.
function fitTo(ids) {
  if (!renderer) return;
  renderer.refresh();
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const id of ids) {
    const d = graph.hasNode(id) ? renderer.getNodeDisplayData(id) : null;
    if (!d) continue;
    x0 = Math.min(x0, d.x); x1 = Math.max(x1, d.x);
    y0 = Math.min(y0, d.y); y1 = Math.max(y1, d.y);
  }
  if (x0 === Infinity) return;
  const ratio = Math.min(1, Math.max(0.08, Math.max(x1 - x0, y1 - y0) * 1.8));
  renderer.getCamera().animate({ x: (x0 + x1) / 2, y: (y0 + y1) / 2, ratio }, { duration: 400 });
}

function moveTo(id) {
  if (!graph.hasNode(id)) return;
  fitTo(focus && focus.has(id) ? focus : [id]);
}

// expandNeighbourhood merges a node's neighbourhood into the graph, the
// new nodes placed around it.
async function expandNeighbourhood(id, depth) {
  const sg = await get("neighbourhood", {
    id, depth, direction: "both", rel: view.rels, limit: NEIGHBOURHOOD_LIMIT, as_of: view.asOf,
  });
  mergeSubgraph(sg, id);
  return sg;
}

function mergeSubgraph(sg, around, extra) {
  if (sg.nodes.some((n) => !graph.hasNode(n.id))) stopLayout();
  const centre = graph.hasNode(around) ? graph.getNodeAttributes(around) : { x: 0, y: 0 };
  let added = 0;
  for (const n of sg.nodes) {
    if (graph.hasNode(n.id)) continue;
    if (!colourOf.has(groupKey(n))) colourOf.set(groupKey(n), OTHER);
    const t = added * 2.39996;
    const r = 10 + Math.sqrt(added + 1) * 8;
    graph.addNode(n.id, nodeAttrs(n, { x: centre.x + Math.cos(t) * r, y: centre.y + Math.sin(t) * r, expanded: true, ...extra }));
    added++;
  }
  for (const e of sg.edges) addEdge(graph, e);
  if (added) {
    $("gate").hidden = true;
    $("empty").hidden = true;
    sizeByDegree(graph);
    if (graph.order <= 3000) {
      runLayout(1200);
      fitAfterLayout = true;
    }
    setStatus(`${fmtInt(graph.order)} nodes · ${fmtInt(graph.size)} edges (+${added} expanded)`);
  }
  return added;
}

async function impact(direction) {
  const id = view.node;
  if (!id) return;
  try {
    const sg = await get("impact", { id, direction, rel: view.rels, depth: 6, limit: 1000 });
    mergeSubgraph(sg, id);
    focus = new Set([id, ...sg.nodes.map((n) => n.id)]);
    renderer.refresh({ skipIndexation: true });
    setStatus(`${direction === "downstream" ? "impact" : "depends on"}: ${fmtInt(sg.nodes.length)} nodes${sg.truncated ? " (truncated)" : ""}`);
  } catch (err) {
    setStatus(err.message, true);
  }
}

function addField(dl, name, value) {
  if (value === undefined || value === null || value === "") return;
  const dt = document.createElement("dt");
  dt.textContent = name;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

function inspect({ node, edges, history }) {
  probe.inspected = { node, edges, history };
  $("inspector").hidden = false;
  $("i-name").textContent = node.name || node.id;
  const badge = $("i-type");
  badge.textContent = node.deleted_at ? `${node.type} · deleted` : node.type;
  badge.classList.toggle("deleted", !!node.deleted_at);
  const dl = $("i-fields");
  dl.replaceChildren();
  addField(dl, "ID", node.id);
  addField(dl, "Scope", node.scope_id);
  addField(dl, "Status", node.status);
  addField(dl, "Version", node.version);
  addField(dl, "Group", node.group);
  addField(dl, "Data source", `${node.data_source_id} (${node.data_source_type})`);
  if (node.data_sources && node.data_sources.length > 1) addField(dl, "Reported by", node.data_sources.join(", "));
  addField(dl, "Partition", node.partition);
  addField(dl, "First seen", fmtTime(node.first_seen));
  addField(dl, "Last seen", fmtTime(node.last_seen));
  addField(dl, "Deleted", node.deleted_at ? fmtTime(node.deleted_at) : "");

  const attrs = $("i-attrs");
  attrs.replaceChildren();
  for (const k of Object.keys(node.attributes || {}).sort()) {
    const tr = document.createElement("tr");
    const kt = document.createElement("td");
    kt.textContent = k;
    const vt = document.createElement("td");
    const v = node.attributes[k];
    vt.textContent = typeof v === "string" ? v : JSON.stringify(v);
    tr.append(kt, vt);
    attrs.append(tr);
  }
  $("i-data").textContent = node.data ? JSON.stringify(node.data, null, 2) : "(no data)";

  const el = $("i-edges");
  el.replaceChildren();
  $("i-edge-count").textContent = `(${(edges || []).length})`;
  for (const e of (edges || []).slice(0, 500)) {
    const out = e.source === node.id;
    const other = out ? e.destination : e.source;
    const li = document.createElement("li");
    const label = graph.hasNode(other) ? graph.getNodeAttribute(other, "label") : other;
    li.textContent = `${out ? "→" : "←"} ${label} (${e.type}${e.connections ? `, ${fmtInt(e.connections)} conn.` : ""})`;
    li.title = other;
    li.addEventListener("click", () => select(other, "", true));
    el.append(li);
  }

  const hl = $("i-history");
  hl.replaceChildren();
  for (const c of history || []) {
    const li = document.createElement("li");
    const op = document.createElement("span");
    op.className = "op-" + c.op;
    op.textContent = c.op;
    li.append(fmtTime(c.at) + " ", op, c.fields && c.fields.length ? ": " + c.fields.join(", ") : "");
    hl.append(li);
  }
  if (!history || history.length === 0) hl.textContent = "(none kept)";
}

// ---------------------------------------------------------------- search

let searchTimer = null;
let searchSeq = 0;

function closeResults() {
  $("results").hidden = true;
}

async function runSearch(q) {
  const seq = ++searchSeq;
  const box = $("results");
  if (!q.trim()) {
    closeResults();
    return;
  }
  try {
    const page = await get("nodes", { q, as_of: view.asOf, limit: 20 });
    if (seq !== searchSeq) return;
    box.replaceChildren();
    for (const n of page.nodes) {
      const li = document.createElement("li");
      li.dataset.id = n.id;
      li.append(n.name || n.id);
      const small = document.createElement("small");
      small.textContent = `${n.type} · ${n.id}`;
      li.append(small);
      li.addEventListener("mousedown", (ev) => {
        ev.preventDefault();
        closeResults();
        select(n.id, n.scope_id, true);
      });
      box.append(li);
    }
    const more = document.createElement("li");
    more.className = "more";
    more.textContent = page.total === 0 ? "no match" : `${fmtInt(page.total)} match${page.total === 1 ? "" : "es"} — Enter shows them all on the map`;
    box.append(more);
    box.hidden = false;
  } catch (err) {
    setStatus(err.message, true);
  }
}

// ---------------------------------------------------------------- filters and controls

function fillSelect(sel, entries, current) {
  const keep = sel.options[0];
  sel.replaceChildren(keep);
  for (const [value, text] of entries) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    sel.append(o);
  }
  if (current && ![...sel.options].some((o) => o.value === current)) {
    const o = document.createElement("option");
    o.value = current;
    o.textContent = current;
    sel.append(o);
  }
  sel.value = current || "";
}

function fillChecks(box, counts, selected, name) {
  box.replaceChildren();
  const keys = Object.keys(counts || {}).sort();
  for (const s of selected) if (!keys.includes(s)) keys.push(s);
  for (const k of keys) {
    const label = document.createElement("label");
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.name = name;
    cb.value = k;
    cb.checked = selected.includes(k);
    const small = document.createElement("small");
    small.textContent = counts && counts[k] !== undefined ? fmtInt(counts[k]) : "";
    label.append(cb, k, small);
    box.append(label);
  }
  if (!keys.length) box.textContent = "(none)";
}

function fillDatalists(nodes) {
  const groups = new Set(), statuses = new Set();
  for (const n of nodes) {
    if (n.group) groups.add(n.group);
    if (n.status) statuses.add(n.status);
  }
  const fill = (id, set) => {
    const dl = $(id);
    dl.replaceChildren();
    [...set].sort().slice(0, 500).forEach((v) => {
      const o = document.createElement("option");
      o.value = v;
      dl.append(o);
    });
  };
  if (groups.size) fill("groups", groups);
  if (statuses.size) fill("statuses", statuses);
}

function controlsFromView() {
  $("search").value = view.q;
  $("f-ds").value = view.ds;
  $("f-scope").value = view.scope;
  $("f-group").value = view.group;
  $("f-status").value = view.status;
  $("group-by").value = view.by;
  document.querySelectorAll('#f-types input').forEach((cb) => { cb.checked = view.types.includes(cb.value); });
  document.querySelectorAll('#f-rels input').forEach((cb) => { cb.checked = view.rels.includes(cb.value); });
  syncSlider();
}

function viewFromControls() {
  view.ds = $("f-ds").value;
  view.scope = $("f-scope").value;
  view.group = $("f-group").value.trim();
  view.status = $("f-status").value.trim();
  view.types = [...document.querySelectorAll('#f-types input:checked')].map((cb) => cb.value);
  view.rels = [...document.querySelectorAll('#f-rels input:checked')].map((cb) => cb.value);
}

// The slider runs from the oldest change kept to now, in seconds; its
// right end is "now" (no as_of).
let sliderMin = 0;
let sliderMax = 0;

function setupSlider() {
  const s = $("asof");
  const oldest = summary && summary.oldest_change ? Date.parse(summary.oldest_change) : NaN;
  sliderMax = Math.ceil(Date.now() / 1000);
  if (isNaN(oldest)) {
    s.disabled = true;
    return;
  }
  sliderMin = Math.floor(oldest / 1000);
  if (view.asOf) sliderMin = Math.min(sliderMin, Math.floor(Date.parse(view.asOf) / 1000));
  s.min = String(sliderMin);
  s.max = String(sliderMax);
  s.disabled = sliderMax <= sliderMin;
  syncSlider();
}

function syncSlider() {
  const s = $("asof");
  if (view.asOf) {
    s.value = String(Math.floor(Date.parse(view.asOf) / 1000));
    $("asof-label").textContent = fmtTime(view.asOf);
    $("asof-now").disabled = false;
  } else {
    s.value = String(sliderMax);
    $("asof-label").textContent = "now";
    $("asof-now").disabled = true;
  }
}

function setAsOf(iso) {
  view.asOf = iso;
  syncSlider();
  pushView(false);
  load();
}

function wire() {
  $("filter-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    viewFromControls();
    view.all = false;
    pushView(false);
    load();
  });
  $("f-clear").addEventListener("click", () => {
    const by = view.by;
    view = { ...emptyView(), by, asOf: view.asOf };
    controlsFromView();
    pushView(false);
    load();
  });
  $("f-rels").addEventListener("change", () => {
    // Relation types filter the drawn edges: no reload.
    viewFromControls();
    pushView(true);
    renderer && renderer.refresh({ skipIndexation: true });
  });
  $("group-by").addEventListener("change", () => {
    view.by = $("group-by").value;
    pushView(true);
    load();
  });
  $("gate-all").addEventListener("click", () => {
    view.all = true;
    pushView(false);
    load();
  });
  const search = $("search");
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(search.value), 200);
  });
  search.addEventListener("keydown", (ev) => {
    const items = [...$("results").querySelectorAll("li[data-id]")];
    const at = items.findIndex((li) => li.classList.contains("active"));
    if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && items.length && !$("results").hidden) {
      ev.preventDefault();
      const next = ev.key === "ArrowDown" ? Math.min(items.length - 1, at + 1) : Math.max(0, at - 1);
      items.forEach((li, i) => li.classList.toggle("active", i === next));
      items[next].scrollIntoView({ block: "nearest" });
    } else if (ev.key === "Enter" && at >= 0 && !$("results").hidden) {
      ev.preventDefault();
      items[at].dispatchEvent(new MouseEvent("mousedown"));
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      closeResults();
      view.q = search.value.trim();
      view.all = false;
      pushView(false);
      load();
    } else if (ev.key === "Escape") {
      closeResults();
    }
  });
  search.addEventListener("blur", () => setTimeout(closeResults, 150));
  search.addEventListener("focus", () => { if (search.value.trim()) runSearch(search.value); });
  const slider = $("asof");
  slider.addEventListener("input", () => {
    const v = Number(slider.value);
    $("asof-label").textContent = v >= sliderMax ? "now" : fmtTime(v * 1000);
  });
  slider.addEventListener("change", () => {
    const v = Number(slider.value);
    setAsOf(v >= sliderMax ? "" : new Date(v * 1000).toISOString());
  });
  $("asof-now").addEventListener("click", () => setAsOf(""));
  $("layout").addEventListener("click", () => (layout ? stopLayout() : runLayout()));
  $("i-close").addEventListener("click", () => select("", "", false));
  $("i-expand").addEventListener("click", async () => {
    if (!view.node) return;
    try {
      await expandNeighbourhood(view.node, 2);
      setFocus(view.node);
    } catch (err) {
      setStatus(err.message, true);
    }
  });
  $("i-down").addEventListener("click", () => impact("downstream"));
  $("i-up").addEventListener("click", () => impact("upstream"));
  window.addEventListener("popstate", () => {
    view = readView(location.search);
    controlsFromView();
    load();
  });
  window.addEventListener("keydown", (ev) => {
    if (ev.key === "/" && document.activeElement !== search) {
      ev.preventDefault();
      search.focus();
    }
  });
}

// While the view shows now, the change feed says when the graph moved on;
// the map offers to reload rather than moving under the user's feet.
const POLL_MS = 10000;
let lastSeq = 0;
let pendingChanges = 0;

async function pollChanges() {
  try {
    const res = await get("changes", { since_seq: lastSeq, limit: 1000 });
    if (res.changes && res.changes.length) {
      pendingChanges += res.changes.length;
      lastSeq = res.last_seq || res.changes[res.changes.length - 1].seq;
    }
    const btn = $("changes");
    btn.hidden = pendingChanges === 0 || !!view.asOf;
    btn.textContent = `${fmtInt(pendingChanges)}${pendingChanges >= 1000 ? "+" : ""} change${pendingChanges === 1 ? "" : "s"} — reload`;
  } catch {
    // The next poll tries again; the status line keeps the last error of a user action.
  }
}

async function reloadLatest() {
  pendingChanges = 0;
  $("changes").hidden = true;
  try {
    summary = await get("summary");
    lastSeq = summary.last_change || lastSeq;
    fillChecks($("f-types"), summary.by_type, view.types, "type");
    fillChecks($("f-rels"), summary.by_relation, view.rels, "rel");
    setupSlider();
  } catch (err) {
    setStatus(err.message, true);
  }
  load();
}

async function init() {
  wire();
  try {
    const [sum, ds] = await Promise.all([get("summary"), get("datasources")]);
    summary = sum;
    const sources = ds.data_sources || [];
    fillSelect($("f-ds"), sources.map((d) => [d.id, `${d.id} (${d.type}, ${fmtInt(d.nodes)})`]), view.ds);
    fillSelect($("f-scope"), Object.entries(sum.by_scope || {}).sort().map(([s, n]) => [s, `${s} (${fmtInt(n)})`]), view.scope);
    fillChecks($("f-types"), sum.by_type, view.types, "type");
    fillChecks($("f-rels"), sum.by_relation, view.rels, "rel");
    setupSlider();
    lastSeq = sum.last_change || 0;
  } catch (err) {
    setStatus(err.message, true);
  }
  controlsFromView();
  $("changes").addEventListener("click", reloadLatest);
  setInterval(pollChanges, POLL_MS);
  await load();
}

init();
