/* The dependency graph as SVG, drawn with DOM calls only: every label is a text node, so a title
   such as `"]) click a href "javascript:..."` is shown, never parsed. Layered layout: a task's
   column is the length of its longest chain of (shown) dependencies. */
"use strict";
window.OrchGraph = (function () {
  var NS = "http://www.w3.org/2000/svg";
  var W = 172, H = 46, GAP_X = 40, GAP_Y = 14, LIMIT = 400;

  function svg(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function depths(tasks) {
    var byId = {}, depth = {};
    tasks.forEach(function (t) { byId[t.id] = t; });
    function of(id, seen) {
      if (depth[id] !== undefined) return depth[id];
      if (seen[id]) return 0; /* a cycle: orch refuses them, but never loop */
      seen[id] = true;
      var d = 0;
      byId[id].depends_on.forEach(function (dep) { if (byId[dep]) d = Math.max(d, of(dep, seen) + 1); });
      depth[id] = d;
      return d;
    }
    tasks.forEach(function (t) { of(t.id, {}); });
    return depth;
  }

  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }

  function draw(container, allTasks, critical) {
    var tasks = allTasks.slice(0, LIMIT), depth = depths(tasks), rows = {}, at = {};
    var onPath = {};
    critical.forEach(function (id) { onPath[id] = true; });
    tasks.forEach(function (t) {
      var col = depth[t.id], row = rows[col] || 0;
      rows[col] = row + 1;
      at[t.id] = { x: 10 + col * (W + GAP_X), y: 10 + row * (H + GAP_Y) };
    });
    var cols = Object.keys(rows).length, most = Math.max.apply(null, [1].concat(Object.values(rows)));
    var root = svg("svg", { width: 20 + cols * (W + GAP_X), height: 20 + most * (H + GAP_Y), role: "img",
                            "aria-label": "dependency graph" });
    var edges = svg("g", { "class": "edges" });
    root.appendChild(edges);
    tasks.forEach(function (t) {
      t.depends_on.forEach(function (dep) {
        if (!at[dep]) return;
        var a = at[dep], b = at[t.id], x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        var hot = onPath[dep] && onPath[t.id];
        edges.appendChild(svg("path", { "class": hot ? "edge critical" : "edge",
          d: "M" + x1 + "," + y1 + " C" + (x1 + GAP_X / 2) + "," + y1 + " " + (x2 - GAP_X / 2) + "," + y2 + " " + x2 + "," + y2 }));
      });
    });
    tasks.forEach(function (t) {
      var p = at[t.id];
      var g = svg("g", { "class": "node s-" + t.status + (onPath[t.id] ? " critical" : ""),
                         "data-task-id": t.id, transform: "translate(" + p.x + "," + p.y + ")" });
      g.appendChild(svg("title", {}, t.id + ": " + t.title + " (" + t.status + ")"));
      g.appendChild(svg("rect", { width: W, height: H }));
      g.appendChild(svg("text", { x: 8, y: 18, "font-weight": "bold" }, clip(t.id, 24)));
      g.appendChild(svg("text", { x: 8, y: 36 }, clip(t.title, 25)));
      root.appendChild(g);
    });
    container.replaceChildren(root);
    if (allTasks.length > LIMIT) {
      var note = document.createElement("p");
      note.className = "note";
      note.textContent = "The graph shows the first " + LIMIT + " of " + allTasks.length + " tasks: filter to narrow it.";
      container.appendChild(note);
    }
  }

  return { draw: draw };
})();
