// The interactive lineage graph: fetches GET /api/v1/lineage, lays the nodes out
// left to right with dagre and draws them as SVG.
//
// Names, namespaces and facets come from outside, so every string goes into the
// page through textContent or setAttribute, never through innerHTML, and a node
// links only to a same-origin path.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  // A node with more neighbours than FANOUT_LIMIT on one side shows the first
  // FANOUT_SHOWN of them and one "+ N more" node for the rest.
  const FANOUT_LIMIT = 20;
  const FANOUT_SHOWN = 10;
  const NODE_HEIGHT = 54;
  const MORE_NODE_HEIGHT = 36;
  const MIN_NODE_WIDTH = 140;
  // Labels longer than this many characters are cut in the middle with "…".
  const LABEL_CHARS = 34;
  // Left padding, plus room on the right for the run state dot.
  const NODE_PADDING = 12 + 26;
  const MIN_SCALE = 0.1;
  const MAX_SCALE = 3;

  const container = document.getElementById("lineage-graph");
  if (!container) {
    return;
  }
  const statusLine = container.querySelector(".graph-status");
  const errorBox = container.querySelector("[data-graph-error]");
  const canvas = container.querySelector("[data-graph-canvas]");

  // Keys "<direction> <node id>" of the fan-outs the user expanded.
  const expanded = new Set();
  const view = { scale: 1, x: 0, y: 0 };
  let model = null;
  let layoutSize = { width: 0, height: 0 };
  let viewport = null;

  function svg(tag, attributes = {}) {
    const element = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) {
      element.setAttribute(name, String(value));
    }
    return element;
  }

  // Accept only a path on this site, so that "javascript:" or "//elsewhere" in
  // a hostile payload never becomes a link.
  function safePath(url) {
    return typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null;
  }

  function shorten(text, limit = LABEL_CHARS) {
    if (text.length <= limit) {
      return text;
    }
    const head = Math.ceil((limit - 1) * 0.4);
    const tail = limit - 1 - head;
    return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
  }

  function nodeName(node) {
    return String(node.data?.name ?? node.id);
  }

  function nodeNamespace(node) {
    return String(node.data?.namespace ?? "");
  }

  function runState(node) {
    const state = node.data?.latestRun?.state;
    return typeof state === "string" ? state : "";
  }

  function kindLabel(node) {
    return node.type === "JOB" ? "Job" : "Dataset";
  }

  function nameLabel(node) {
    return shorten(nodeName(node));
  }

  function namespaceLabel(node) {
    return shorten(nodeNamespace(node), Math.floor(LABEL_CHARS * 1.15));
  }

  function kindText(node) {
    const state = runState(node);
    return (node.type === "JOB" ? "JOB" : "DATASET") + (state ? ` · ${state}` : "");
  }

  function describe(node) {
    const state = runState(node);
    const suffix = state ? `, latest run ${state}` : "";
    return `${kindLabel(node)} ${nodeNamespace(node)}:${nodeName(node)}${suffix}`;
  }

  // ---- Model: nodes and deduplicated edges from Marquez's graph shape. ----

  function buildModel(payload, requestedId) {
    const nodes = new Map();
    for (const node of payload.graph ?? []) {
      if (node && typeof node.id === "string") {
        nodes.set(node.id, node);
      }
    }
    const downstream = new Map();
    const upstream = new Map();
    for (const id of nodes.keys()) {
      downstream.set(id, new Set());
      upstream.set(id, new Set());
    }
    const addEdge = (edge) => {
      if (nodes.has(edge?.origin) && nodes.has(edge?.destination)) {
        downstream.get(edge.origin).add(edge.destination);
        upstream.get(edge.destination).add(edge.origin);
      }
    };
    for (const node of nodes.values()) {
      (node.inEdges ?? []).forEach(addEdge);
      (node.outEdges ?? []).forEach(addEdge);
    }
    let root = payload.root;
    if (!nodes.has(root)) {
      root = nodes.has(requestedId) ? requestedId : nodes.keys().next().value;
    }
    return { nodes, downstream, upstream, root, truncated: Boolean(payload.truncated) };
  }

  function byName(a, b) {
    const left = model.nodes.get(a);
    const right = model.nodes.get(b);
    return (
      nodeName(left).localeCompare(nodeName(right)) ||
      nodeNamespace(left).localeCompare(nodeNamespace(right)) ||
      a.localeCompare(b)
    );
  }

  // Walk from the root and keep what is visible: a fan-out over FANOUT_LIMIT
  // shows its first FANOUT_SHOWN neighbours (by name) until it is expanded, and
  // whatever lies behind a hidden neighbour stays hidden with it.
  function visibleGraph() {
    const visible = new Set([model.root]);
    const queue = [model.root];
    const fanouts = [];
    while (queue.length) {
      const id = queue.shift();
      for (const [direction, neighbours] of [
        ["downstream", model.downstream.get(id)],
        ["upstream", model.upstream.get(id)],
      ]) {
        const sorted = [...neighbours].sort(byName);
        const key = `${direction} ${id}`;
        let visibleNeighbours = sorted;
        if (sorted.length > FANOUT_LIMIT && !expanded.has(key)) {
          visibleNeighbours = sorted.slice(0, FANOUT_SHOWN);
          fanouts.push({ key, owner: id, direction, members: sorted.slice(FANOUT_SHOWN) });
        }
        for (const neighbour of visibleNeighbours) {
          if (!visible.has(neighbour)) {
            visible.add(neighbour);
            queue.push(neighbour);
          }
        }
      }
    }
    // A collapsed neighbour may be visible through another path after all.
    const more = [];
    for (const fanout of fanouts) {
      const hidden = fanout.members.filter((id) => !visible.has(id));
      if (hidden.length) {
        more.push({ ...fanout, id: `more ${fanout.key}`, hidden });
      }
    }
    return { visible, more };
  }

  // ---- Layout with dagre. ----

  // Measure label text with the page's own font, so boxes fit their labels.
  const measure = document.createElement("canvas").getContext("2d");
  const fontFamily = getComputedStyle(canvas).fontFamily;

  function textWidth(text, font) {
    measure.font = `${font} ${fontFamily}`;
    return measure.measureText(text).width;
  }

  function nodeWidth(node) {
    const widest = Math.max(
      textWidth(nameLabel(node), "600 13px"),
      textWidth(namespaceLabel(node), "11px"),
      textWidth(kindText(node), "600 10px") * 1.1,
    );
    return Math.max(MIN_NODE_WIDTH, Math.ceil(widest) + NODE_PADDING);
  }

  function layOut(visible, more) {
    const graph = new dagre.graphlib.Graph();
    graph.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 64, marginx: 24, marginy: 24 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const id of visible) {
      graph.setNode(id, { width: nodeWidth(model.nodes.get(id)), height: NODE_HEIGHT });
    }
    for (const fanout of more) {
      graph.setNode(fanout.id, { width: MIN_NODE_WIDTH, height: MORE_NODE_HEIGHT });
    }
    // dagre 3.1.3 stacked a fan-out's targets in reverse order of edge
    // insertion when tried (observed, not documented). So the "+ N more" edges
    // go in first and the others in reverse name order, which shows neighbours
    // top to bottom by name with "+ N more" last.
    for (const fanout of more) {
      if (fanout.direction === "downstream") {
        graph.setEdge(fanout.owner, fanout.id);
      } else {
        graph.setEdge(fanout.id, fanout.owner);
      }
    }
    for (const id of visible) {
      for (const target of [...model.downstream.get(id)].sort(byName).reverse()) {
        if (visible.has(target)) {
          graph.setEdge(id, target);
        }
      }
    }
    dagre.layout(graph);
    return graph;
  }

  // ---- Drawing. ----

  function drawEdges(graph, parent) {
    const group = svg("g", { class: "graph-edges", "aria-hidden": "true" });
    for (const edge of graph.edges()) {
      const points = graph.edge(edge).points;
      const d = points
        .map((point, index) => `${index ? "L" : "M"}${point.x.toFixed(1)},${point.y.toFixed(1)}`)
        .join(" ");
      group.append(svg("path", { d, class: "graph-edge", "marker-end": "url(#graph-arrow)" }));
    }
    parent.append(group);
  }

  function drawNode(graph, id) {
    const node = model.nodes.get(id);
    const box = graph.node(id);
    const isJob = node.type === "JOB";
    const href = safePath(node.data?.url);
    const classes = ["graph-node", isJob ? "graph-node-job" : "graph-node-dataset"];
    if (id === model.root) {
      classes.push("graph-node-root");
    }
    const element = href ? svg("a", { href }) : svg("g");
    element.setAttribute("class", classes.join(" "));
    element.setAttribute("tabindex", "0");
    element.setAttribute("data-node-id", id);
    element.setAttribute("transform", `translate(${box.x - box.width / 2},${box.y - box.height / 2})`);
    const label = describe(node) + (id === model.root ? " (selected node)" : "");
    element.setAttribute("aria-label", label);

    const title = svg("title");
    title.textContent = label;
    element.append(title);
    element.append(
      svg("rect", {
        width: box.width,
        height: box.height,
        rx: isJob ? 14 : 4,
        class: "graph-node-box",
      }),
    );

    const state = runState(node);
    const kind = svg("text", { x: 12, y: 16, class: "graph-node-kind" });
    kind.textContent = kindText(node);
    const name = svg("text", { x: 12, y: 33, class: "graph-node-name" });
    name.textContent = nameLabel(node);
    const namespace = svg("text", { x: 12, y: 47, class: "graph-node-namespace" });
    namespace.textContent = namespaceLabel(node);
    element.append(kind, name, namespace);
    if (state) {
      element.append(
        svg("circle", {
          cx: box.width - 12,
          cy: 12,
          r: 5,
          class: `graph-state graph-state-${state.toLowerCase()}`,
        }),
      );
    }
    return element;
  }

  function drawMoreNode(graph, fanout) {
    const box = graph.node(fanout.id);
    const owner = model.nodes.get(fanout.owner);
    const count = fanout.hidden.length;
    const element = svg("g", {
      class: "graph-node graph-node-more",
      role: "button",
      tabindex: 0,
      "data-fanout": fanout.key,
      transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})`,
      "aria-label": `Show ${count} more ${fanout.direction} neighbours of ${nodeName(owner)}`,
    });
    const title = svg("title");
    title.textContent = element.getAttribute("aria-label");
    element.append(title);
    element.append(svg("rect", { width: box.width, height: box.height, rx: 18, class: "graph-node-box" }));
    const text = svg("text", { x: box.width / 2, y: box.height / 2 + 5, "text-anchor": "middle" });
    text.textContent = `+ ${count} more`;
    element.append(text);
    return element;
  }

  function arrowDefinitions() {
    const defs = svg("defs");
    const marker = svg("marker", {
      id: "graph-arrow",
      viewBox: "0 0 10 10",
      refX: 10,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "graph-arrow-head" }));
    defs.append(marker);
    return defs;
  }

  function render(focusId = null) {
    const { visible, more } = visibleGraph();
    const graph = layOut(visible, more);
    layoutSize = { width: graph.graph().width || 0, height: graph.graph().height || 0 };

    const root = model.nodes.get(model.root);
    const drawing = svg("svg", {
      class: "graph-svg",
      width: "100%",
      height: "100%",
      role: "group",
      "aria-label": `Lineage graph of ${describe(root)}`,
    });
    drawing.append(arrowDefinitions());
    viewport = svg("g", { class: "graph-viewport" });
    drawEdges(graph, viewport);
    const nodeGroup = svg("g", { class: "graph-nodes" });
    for (const id of visible) {
      nodeGroup.append(drawNode(graph, id));
    }
    for (const fanout of more) {
      nodeGroup.append(drawMoreNode(graph, fanout));
    }
    viewport.append(nodeGroup);
    drawing.append(viewport);
    canvas.replaceChildren(drawing);
    attachInteractions(drawing);

    if (focusId === null) {
      fitToView();
    } else {
      centerOn(graph.node(focusId));
      const target = [...nodeGroup.querySelectorAll("[data-node-id]")].find(
        (element) => element.getAttribute("data-node-id") === focusId,
      );
      // The canvas clips its overflow, and a scrolling focus() would shift it.
      target?.focus({ preventScroll: true });
    }
    reportStatus(visible.size, more);
  }

  function reportStatus(visibleCount, more) {
    const total = model.nodes.size;
    let text = `Showing ${visibleCount} of ${total} nodes.`;
    if (more.length) {
      text += ` ${more.length} large fan-out${more.length > 1 ? "s are" : " is"} collapsed: select “+ N more” to expand.`;
    }
    if (model.truncated) {
      text += " The graph was cut off at the API's node limit: choose a smaller depth to see it whole.";
    }
    statusLine.textContent = text;
  }

  // ---- Pan and zoom. ----

  function applyView() {
    viewport?.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.scale})`);
  }

  function fitToView() {
    const width = canvas.clientWidth || 800;
    const height = canvas.clientHeight || 500;
    const scale = Math.min(width / layoutSize.width, height / layoutSize.height, 1);
    view.scale = Math.max(MIN_SCALE, scale);
    view.x = (width - layoutSize.width * view.scale) / 2;
    view.y = (height - layoutSize.height * view.scale) / 2;
    applyView();
  }

  // Keep the scale and move the view so `box` (a dagre node) is in the middle.
  function centerOn(box) {
    view.x = canvas.clientWidth / 2 - box.x * view.scale;
    view.y = canvas.clientHeight / 2 - box.y * view.scale;
    applyView();
  }

  // Zoom by `factor` keeping the canvas point (cx, cy) in place.
  function zoom(factor, cx = canvas.clientWidth / 2, cy = canvas.clientHeight / 2) {
    const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, view.scale * factor));
    view.x = cx - ((cx - view.x) * scale) / view.scale;
    view.y = cy - ((cy - view.y) * scale) / view.scale;
    view.scale = scale;
    applyView();
  }

  function attachInteractions(drawing) {
    drawing.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const bounds = drawing.getBoundingClientRect();
        zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - bounds.left, event.clientY - bounds.top);
      },
      { passive: false },
    );

    let drag = null;
    drawing.addEventListener("pointerdown", (event) => {
      if (event.button === 0) {
        drag = { x: event.clientX, y: event.clientY, viewX: view.x, viewY: view.y, moved: false };
      }
    });
    drawing.addEventListener("pointermove", (event) => {
      if (!drag) {
        return;
      }
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) > 4) {
        // Capture only once it is a drag, so a plain click still reaches the link.
        drag.moved = true;
        drawing.setPointerCapture(event.pointerId);
        drawing.classList.add("is-dragging");
      }
      if (drag.moved) {
        view.x = drag.viewX + dx;
        view.y = drag.viewY + dy;
        applyView();
      }
    });
    const endDrag = (event) => {
      if (drag?.moved) {
        drawing.releasePointerCapture?.(event.pointerId);
        drawing.classList.remove("is-dragging");
        // The click that ends a drag must not open a node.
        drawing.addEventListener("click", (click) => click.preventDefault(), { capture: true, once: true });
      }
      drag = null;
    };
    drawing.addEventListener("pointerup", endDrag);
    drawing.addEventListener("pointercancel", endDrag);

    // Tabbing to a node outside the canvas would scroll the clipped canvas and
    // leave the view shifted, so undo that scroll and pan to the node instead.
    drawing.addEventListener("focusin", (event) => {
      const node = event.target.closest?.(".graph-node");
      if (!node) {
        return;
      }
      canvas.scrollTop = 0;
      canvas.scrollLeft = 0;
      const box = node.getBoundingClientRect();
      const frame = canvas.getBoundingClientRect();
      const outside =
        box.left < frame.left ||
        box.right > frame.right ||
        box.top < frame.top ||
        box.bottom > frame.bottom;
      if (outside) {
        view.x += frame.left + frame.width / 2 - (box.left + box.width / 2);
        view.y += frame.top + frame.height / 2 - (box.top + box.height / 2);
        applyView();
      }
    });

    drawing.addEventListener("click", (event) => {
      const more = event.target.closest?.("[data-fanout]");
      if (more && !event.defaultPrevented) {
        expand(more);
      }
    });
    drawing.addEventListener("keydown", (event) => {
      const target = event.target;
      if (target.matches?.("[data-fanout]") && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        expand(target);
      } else if (event.key === "Enter" && target.matches?.("a.graph-node")) {
        event.preventDefault();
        window.location.assign(target.getAttribute("href"));
      }
    });
  }

  function expand(moreElement) {
    const key = moreElement.getAttribute("data-fanout");
    expanded.add(key);
    // Keep keyboard focus on the node whose neighbours were expanded.
    render(key.slice(key.indexOf(" ") + 1));
  }

  // ---- Loading. ----

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (typeof body?.error?.message === "string") {
        return body.error.message;
      }
    } catch {
      // Not JSON: fall back to the status line.
    }
    return `The lineage API failed with ${response.status} ${response.statusText}.`;
  }

  function showError(message) {
    statusLine.textContent = "The graph could not be loaded.";
    errorBox.textContent = message;
    errorBox.classList.remove("d-none");
  }

  async function load() {
    const nodeId = container.dataset.nodeId;
    const query = new URLSearchParams({
      nodeId,
      depth: container.dataset.depth,
      direction: container.dataset.direction,
    });
    let response;
    try {
      response = await fetch(`${container.dataset.apiUrl}?${query}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      showError(`Failed to reach the lineage API: ${error.message}`);
      return;
    }
    if (!response.ok) {
      showError(await errorMessage(response));
      return;
    }
    const payload = await response.json();
    model = buildModel(payload, nodeId);
    if (!model.nodes.size) {
      showError("The lineage API returned an empty graph for this node.");
      return;
    }
    render();
  }

  container.querySelector("[data-graph-action='zoom-in']").addEventListener("click", () => zoom(1.25));
  container.querySelector("[data-graph-action='zoom-out']").addEventListener("click", () => zoom(1 / 1.25));
  container.querySelector("[data-graph-action='fit']").addEventListener("click", () => model && fitToView());
  container.querySelector("[data-graph-action='actual-size']").addEventListener("click", () => {
    view.scale = 1;
    view.x = 24;
    view.y = 24;
    applyView();
  });

  load();
})();
