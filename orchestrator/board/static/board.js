/* The board page: fetches /api/board, redraws on each server-sent `change` event, filters on the
   client (kept in the URL's #fragment, so a filtered board can be bookmarked). Text from the plan is only ever put in the page as text nodes (no innerHTML). In an
   export, board-data.js holds the data and nothing is fetched. */
"use strict";
(function () {
  var FILTERS = ["plan", "milestone", "specialist", "category"];
  var COLUMN_LIMIT = 200; /* cards drawn per column: 10,000 cards take seconds to draw */
  var state = { data: null, filters: {} };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function $(id) { return document.getElementById(id); }

  function visible(tasks) {
    return tasks.filter(function (t) {
      return FILTERS.every(function (key) {
        var want = state.filters[key];
        return !want || String(t[key] === null || t[key] === undefined ? "" : t[key]) === want;
      });
    });
  }

  function fillFilter(key, tasks) {
    var select = $("f-" + key), current = state.filters[key] || "";
    var values = Array.from(new Set(tasks.map(function (t) { return t[key]; })
      .filter(function (v) { return v !== null && v !== undefined && v !== ""; }).map(String))).sort();
    select.replaceChildren(el("option", { value: "" }, "all"));
    values.forEach(function (v) { select.appendChild(el("option", { value: v }, v)); });
    select.value = values.indexOf(current) >= 0 ? current : "";
    state.filters[key] = select.value;
  }

  function tagSpan(cls, text, title) {
    var span = el("span", { "class": "tag " + cls }, text);
    if (title) span.title = title;
    return span;
  }

  function card(t, critical) {
    var node = el("article", { "class": "card p-" + t.priority + (critical[t.id] ? " critical-path" : ""),
                               "data-task-id": t.id });
    node.appendChild(el("div", { "class": "id" }, t.id));
    node.appendChild(el("div", { "class": "title" }, t.title));
    var meta = el("div", { "class": "meta" });
    meta.appendChild(tagSpan("priority", t.priority));
    if (t.specialist) meta.appendChild(tagSpan("specialist", t.specialist));
    if (t.category) meta.appendChild(tagSpan("category", t.category));
    if (t.holder) meta.appendChild(tagSpan("holder", t.holder, "bound to"));
    t.leases.forEach(function (path) { meta.appendChild(tagSpan("lease", "lease " + path, "leased by this task")); });
    if (t.gate) {
      var text = t.gate.passed ? "gates passed" : "failed: " + t.gate.failed.join(", ");
      meta.appendChild(tagSpan(t.gate.passed ? "gate-pass" : "gate-fail", text, "last gate run"));
    }
    node.appendChild(meta);
    var reason = t.andon || t.block_reason;
    if (reason) node.appendChild(el("div", { "class": "andon" }, (t.andon ? "andon: " : "blocked: ") + reason));
    if (state.data.actions) node.appendChild(actionsOf(t));
    return node;
  }

  function actionsOf(t) {
    var box = el("div", { "class": "actions" });
    function button(label, body) {
      var b = el("button", { type: "button", "data-verb": body.verb }, label);
      b.addEventListener("click", function () { act(body); });
      box.appendChild(b);
    }
    if (t.status === "queued") button("start", { verb: "start", task: t.id });
    if (["in_progress", "review", "testing"].indexOf(t.status) >= 0) {
      var next = { in_progress: "review", review: "testing", testing: "completed" }[t.status];
      button("\u2192 " + next, { verb: "move", task: t.id, status: next });
    }
    if (["completed", "cancelled", "blocked"].indexOf(t.status) < 0) {
      var blockBtn = el("button", { type: "button", "data-verb": "block" }, "block");
      blockBtn.addEventListener("click", function () {
        var reason = window.prompt("What is " + t.id + " waiting on?");
        if (reason) act({ verb: "block", task: t.id, reason: reason });
      });
      box.appendChild(blockBtn);
    }
    return box;
  }

  function act(body) {
    fetch("api/actions", { method: "POST", headers: { "Content-Type": "application/json" },
                           body: JSON.stringify(body), credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error); }); })
      .then(refresh, showError);
  }

  function kanban(tasks, critical) {
    var board = $("kanban");
    board.replaceChildren();
    state.data.statuses.forEach(function (status) {
      var mine = tasks.filter(function (t) { return t.status === status; });
      var column = el("section", { "class": "column", "data-status": status });
      column.appendChild(el("h2", {}, status.replace("_", " ") + " (" + mine.length + ")"));
      mine.slice(0, COLUMN_LIMIT).forEach(function (t) { column.appendChild(card(t, critical)); });
      if (mine.length > COLUMN_LIMIT) {
        column.appendChild(el("p", { "class": "note more" },
          (mine.length - COLUMN_LIMIT) + " more: filter to narrow the column"));
      }
      board.appendChild(column);
    });
  }

  function milestones(rows) {
    var table = $("milestones");
    table.replaceChildren();
    var head = el("tr");
    ["plan", "milestone", "done", "tag"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
    table.appendChild(head);
    rows.filter(function (m) { return !state.filters.plan || m.plan === state.filters.plan; }).forEach(function (m) {
      var tr = el("tr", { "data-milestone": m.id });
      tr.appendChild(el("td", {}, m.plan));
      tr.appendChild(el("td", {}, m.id + (m.title ? ": " + m.title : "")));
      tr.appendChild(el("td", {}, m.completed + "/" + m.total));
      tr.appendChild(el("td", {}, m.tag || "-"));
      table.appendChild(tr);
    });
  }

  function timeline(rows) {
    var list = $("timeline");
    list.replaceChildren();
    rows.forEach(function (r) {
      var li = el("li", { "data-kind": r.kind });
      li.appendChild(el("time", {}, r.at || ""));
      li.appendChild(document.createTextNode((r.task ? r.task + " \u00b7 " : "") + (r.actor || "") + " \u00b7 " + r.summary));
      list.appendChild(li);
    });
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "-";
    var s = Math.round(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m ? m + "m" : s + "s";
  }

  function metrics(data) {
    var box = $("metrics");
    box.replaceChildren();
    if (!data) { box.appendChild(el("p", { "class": "note" }, "No task has been measured yet.")); return; }
    var a = data.aggregate, table = el("table");
    [["completed tasks measured", a.measured], ["cycle time (median)", duration(a.cycle.median)],
     ["lead time (median)", duration(a.lead.median)], ["rework (andons)", a.rework]].forEach(function (row) {
      var tr = el("tr"); tr.appendChild(el("th", {}, row[0])); tr.appendChild(el("td", {}, row[1])); table.appendChild(tr);
    });
    data.gates.forEach(function (g) {
      var tr = el("tr"); tr.appendChild(el("th", {}, "gate " + g.name));
      tr.appendChild(el("td", {}, g.passed + "/" + g.runs + " passed (" + g.rate + "%)")); table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function render() {
    var data = state.data, critical = {};
    data.critical_path.tasks.forEach(function (id) { critical[id] = true; });
    $("repo").textContent = data.repo;
    FILTERS.forEach(function (key) { fillFilter(key, data.tasks); });
    var tasks = visible(data.tasks);
    $("counts").textContent = tasks.length + " of " + data.tasks.length + " tasks";
    kanban(tasks, critical);
    $("critical").textContent = data.critical_path.tasks.length
      ? "critical path: " + data.critical_path.tasks.join(" \u2192 ") + " (" + data.critical_path.hours + " h)" : "";
    window.OrchGraph.draw($("graph"), tasks, data.critical_path.tasks);
    milestones(data.milestones);
    timeline(data.timeline);
    metrics(data.metrics);
    document.body.setAttribute("data-stamp", data.stamp);
  }

  function showError(err) {
    var box = $("error");
    box.textContent = "orch board: " + (err && err.message ? err.message : err);
    box.hidden = false;
  }

  function refresh() {
    return fetch("api/board", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error); return j; }); })
      .then(function (data) { state.data = data; $("error").hidden = true; render(); }, showError);
  }

  function listen() {
    var live = $("live"), source = new EventSource("api/events");
    source.addEventListener("open", function () { live.textContent = "live"; live.className = "live on"; });
    source.addEventListener("error", function () { live.textContent = "reconnecting…"; live.className = "live off"; });
    source.addEventListener("change", function (event) {
      if (!state.data || event.data !== state.data.stamp) refresh();
    });
  }

  function readHash() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    FILTERS.forEach(function (key) { state.filters[key] = params.get(key) || ""; });
  }

  function writeHash() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (key) { if (state.filters[key]) params.set(key, state.filters[key]); });
    history.replaceState(null, "", params.toString() ? "#" + params.toString() : window.location.pathname + window.location.search);
  }

  function start() {
    readHash();
    window.addEventListener("hashchange", function () { readHash(); if (state.data) render(); });
    FILTERS.forEach(function (key) {
      $("f-" + key).addEventListener("change", function (event) {
        state.filters[key] = event.target.value;
        writeHash();
        render();
      });
    });
    if (window.ORCH_BOARD_DATA) {
      state.data = window.ORCH_BOARD_DATA;
      $("live").textContent = "exported " + (state.data.exported_at || "");
      render();
      return;
    }
    refresh().then(listen);
  }

  start();
})();
