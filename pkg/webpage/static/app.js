// jobernetes ui: the run list and a run's page (docs/ui.md). Plain script,
// no build step. Every string that comes from the cluster is inserted as
// text (textContent, text nodes, attributes), never parsed as HTML.
"use strict";
(function () {
  const SVGNS = "http://www.w3.org/2000/svg";
  const meta = (n) => { const m = document.querySelector('meta[name="' + n + '"]'); return m ? m.getAttribute("content") : ""; };
  const TOKEN = meta("jobernetes-token");
  const VIEW_NS = meta("jobernetes-view"); // "" with -A
  const STATIC = document.getElementById("jobernetes-doc"); // status -o html: the run, without a server

  // The token leaves the address bar (a cookie carries it from now on).
  if (!STATIC && location.search.indexOf("token=") >= 0) {
    const u = new URL(location.href);
    u.searchParams.delete("token");
    history.replaceState(null, "", u.pathname + u.search + u.hash);
  }

  // el builds an element: attrs are set as attributes or properties (on*
  // as listeners); children are nodes or strings (as text).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }
  function sv(tag, attrs, ...children) {
    const e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }
  function setAttrs(e, attrs) {
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
  }
  function append(e, children) {
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  function fmtDur(sec) {
    if (sec === undefined || sec === null || isNaN(sec)) return "-";
    sec = Math.max(0, Math.round(sec));
    const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    if (h) return h + "h" + String(m).padStart(2, "0") + "m";
    if (m) return m + "m" + String(s).padStart(2, "0") + "s";
    return s + "s";
  }
  // now: the clock; in a file of status -o html, the time it was written.
  const now = () => (STATIC && STATIC.getAttribute("data-now") ? Date.parse(STATIC.getAttribute("data-now")) : Date.now());
  const since = (t) => (now() - Date.parse(t)) / 1000;
  function runDuration(r) {
    if (!r.startedAt) return "-";
    const end = r.finishedAt ? Date.parse(r.finishedAt) : now();
    return fmtDur((end - Date.parse(r.startedAt)) / 1000);
  }
  const KNOWN = ["waiting", "queued", "running", "succeeded", "failed", "skipped"];
  const stateClass = (s) => (KNOWN.indexOf(s) >= 0 ? s : "other");
  const badge = (text, cls) => el("span", { class: "badge " + cls }, text);

  function setLive(on, text) {
    const l = document.getElementById("live");
    if (!l) return;
    l.className = "live " + (on ? "on" : "off");
    l.textContent = text;
  }

  // post is a state-changing request: the token goes in its header.
  async function post(path) {
    const resp = await fetch(path, { method: "POST", headers: { "X-Jobernetes-Token": TOKEN }, credentials: "same-origin" });
    let body = {};
    try { body = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) throw new Error(body.message || resp.status + " " + resp.statusText);
    return body;
  }

  // ---------------------------------------------------------------- run list
  function listPage() {
    const main = clear(document.getElementById("main"));
    document.title = "jobernetes: runs";
    const head = el("h1", {}, VIEW_NS ? "Runs in namespace " + VIEW_NS : "Runs in every namespace");
    const tbody = el("tbody", { id: "runs" });
    const empty = el("p", { class: "muted", id: "norun" }, "No runs found.");
    const cols = (VIEW_NS ? [] : ["NAMESPACE"]).concat(["RUN", "RESULT", "JOBS", "AGE", "DURATION", "MODEL"]);
    main.append(head, el("table", { class: "runlist" }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", {}, c)))), tbody), empty);
    let items = [];
    function draw() {
      clear(tbody);
      empty.hidden = items.length > 0;
      for (const r of items) {
        const ns = r.namespace || VIEW_NS;
        const href = "/runs/" + encodeURIComponent(ns) + "/" + encodeURIComponent(r.runID);
        const tr = el("tr", { class: "clickable", "data-run": r.runID, onclick: () => { location.href = href; } },
          VIEW_NS ? null : el("td", {}, ns),
          el("td", {}, el("a", { href: href, class: "mono" }, r.runID)),
          el("td", {}, badge(r.result, "r-" + r.result)),
          el("td", { class: "jobs" }, r.finishedJobs + "/" + r.jobs),
          el("td", {}, r.startedAt ? fmtDur(since(r.startedAt)) : "-"),
          el("td", {}, runDuration(r)),
          el("td", { class: "muted" }, r.model || ""));
        tbody.appendChild(tr);
      }
    }
    const note = el("p", { class: "note", id: "listnote", hidden: true });
    main.insertBefore(note, head.nextSibling);
    const es = new EventSource("/api/events");
    es.onopen = () => setLive(true, "live");
    es.onerror = () => {
      setLive(false, "reconnecting…");
      if (es.readyState !== EventSource.CLOSED) return;
      // The live list was refused (no right to watch the records of every
      // namespace): the list as status -A reads it, once.
      setLive(false, "not live");
      fetch("/api/runs" + (VIEW_NS ? "?namespace=" + encodeURIComponent(VIEW_NS) : ""), { credentials: "same-origin" }).then((r) => r.json()).then((doc) => {
        items = doc.items || [];
        draw();
        note.hidden = false;
        note.textContent = "This list is not live (the cluster refused to let it watch the run records of every namespace): it is as of " +
          new Date().toLocaleTimeString() + ". Reload the page to read it again.";
      }).catch((e) => { note.hidden = false; note.textContent = "The runs cannot be read: " + e.message; });
    };
    es.onmessage = (ev) => {
      const doc = JSON.parse(ev.data);
      items = Array.isArray(doc) ? doc : doc.items || [];
      draw();
    };
    setInterval(draw, 5000); // ages and durations
  }

  // ---------------------------------------------------------------- a run
  // Page state of a run: the document, and the DAG's nodes by model job.
  function runPage(ns, runID, staticDoc) {
    const main = clear(document.getElementById("main"));
    document.title = "jobernetes: " + runID;
    const crumbs = document.getElementById("crumbs");
    if (crumbs) { clear(crumbs); crumbs.append("/ " + ns + " / " + runID); }
    const S = { ns, runID, doc: null, groups: new Map(), nodes: new Map(), selected: null, expanded: new Set(), logES: null };
    const header = el("section", { id: "header" });
    const banner = el("div", { id: "banner" });
    const dagbox = el("div", { class: "dagbox", id: "dag" });
    const legend = el("div", { class: "legend" }, KNOWN.map((s) => badge(s, "st-" + s)));
    const timeline = el("section", { class: "timeline", id: "timeline" });
    const panel = el("aside", { class: "panel", id: "panel", hidden: true });
    const left = el("div", {}, el("h2", {}, "DAG"), legend, dagbox, timeline);
    const layout = el("div", { class: "layout nopanel" }, left, panel);
    main.append(banner, header, layout);
    let scrollPending = false;
    dagbox.addEventListener("scroll", () => {
      if (scrollPending) return;
      scrollPending = true;
      requestAnimationFrame(() => { scrollPending = false; drawVisible(S); });
    });
    S.header = header; S.dagbox = dagbox; S.panel = panel; S.layout = layout; S.timeline = timeline; S.banner = banner;

    if (staticDoc) {
      full(S, staticDoc);
      const svg = document.getElementById("jobernetes-timeline");
      if (svg) { timeline.append(el("h2", {}, "Timeline"), el("img", { src: svg.getAttribute("data-src"), alt: "timeline" })); }
      return;
    }
    const base = "/api/runs/" + encodeURIComponent(ns) + "/" + encodeURIComponent(runID);
    S.base = base;
    const es = new EventSource(base + "/events");
    es.onopen = () => setLive(true, "live");
    es.onerror = () => {
      setLive(false, "reconnecting…");
      if (es.readyState === EventSource.CLOSED) { setLive(false, "closed"); showBanner(S, "The run cannot be read (no such run, or the cluster refused): reload to try again."); }
    };
    es.onmessage = (ev) => {
      const t0 = performance.now();
      if (!window.__jobernetesFirstEvent) window.__jobernetesFirstEvent = t0;
      const m = JSON.parse(ev.data);
      if (m.kind === "RunStatus") full(S, m);
      else if (m.kind === "RunStatusPatch") patch(S, m);
      else if (m.kind === "RunDeleted") { showBanner(S, "This run has been deleted."); es.close(); setLive(false, "deleted"); }
      else if (m.kind === "Error") showBanner(S, m.message);
      // For the benchmark (BENCHMARKS.md): the event's arrival to the next
      // frame after it was applied.
      afterPaint(() => { window.__jobernetesApplied = { id: ev.lastEventId, kind: m.kind, ms: performance.now() - t0 }; });
    };
    setInterval(() => { if (S.doc) drawHeader(S); }, 1000);
  }

  function afterPaint(f) { requestAnimationFrame(() => setTimeout(f, 0)); }

  function showBanner(S, text) { clear(S.banner).append(el("div", { class: "banner" }, text)); }

  // full draws the whole run from a RunStatus document.
  function full(S, doc) {
    S.doc = doc;
    groupJobs(S);
    drawHeader(S);
    drawDAG(S);
    if (S.selected && S.groups.has(S.selected)) drawPanel(S); else closePanel(S);
    refreshTimeline(S);
    if (!window.__jobernetesPainted) afterPaint(() => { window.__jobernetesPainted = window.__jobernetesPainted || performance.now(); });
  }

  // patch applies a RunStatusPatch: the run's fields and the rows that changed.
  function patch(S, p) {
    if (!S.doc) return;
    const jobs = S.doc.jobs;
    const run = p.run; run.jobs = jobs; S.doc = run;
    const touched = new Set();
    for (const r of p.jobs) { jobs[r.index] = r.job; touched.add(groupKey(r.job)); }
    for (const k of touched) {
      const g = S.groups.get(k);
      if (!g) continue;
      g.rows = g.idx.map((i) => jobs[i]);
      updateNode(S, g);
    }
    drawHeader(S);
    if (S.selected && touched.has(S.selected)) drawPanel(S);
    refreshTimeline(S);
  }

  const groupKey = (j) => j.phase + "\u0000" + j.job;

  // groupJobs gathers the rows by model job: a directory or matrix job is
  // one node. Jobs an earlier attempt's retry replaced are shown in the
  // panel only.
  function groupJobs(S) {
    S.groups = new Map();
    S.phases = [];
    const seen = new Set();
    S.doc.jobs.forEach((j, i) => {
      const k = groupKey(j);
      let g = S.groups.get(k);
      if (!g) {
        g = { key: k, phase: j.phase, job: j.job, revert: !!j.revert, dependsOn: j.dependsOn || [], triggerRule: j.triggerRule || "",
          finally: !!j.finally, idx: [], rows: [] };
        S.groups.set(k, g);
      }
      g.idx.push(i); g.rows.push(j);
      if (!seen.has(j.phase)) { seen.add(j.phase); S.phases.push(j.phase); }
    });
  }

  // aggregate is a group's state: failed > running > queued > waiting > skipped > succeeded.
  function aggregate(g) {
    const live = g.rows.filter((r) => !r.replaced);
    const rows = live.length ? live : g.rows;
    const has = (s) => rows.some((r) => r.state === s);
    for (const s of ["failed", "running", "queued", "waiting"]) if (has(s)) return s;
    if (rows.every((r) => r.state === "skipped")) return "skipped";
    if (rows.every((r) => r.state === "succeeded" || r.state === "skipped")) return "succeeded";
    return "other";
  }

  function counts(rows) {
    let done = 0, total = 0;
    for (const r of rows) {
      if (r.replaced) continue;
      total++;
      if (r.state !== "waiting" && r.state !== "queued" && r.state !== "running") done++;
    }
    return [done, total];
  }

  function drawHeader(S) {
    const d = S.doc;
    const [done, total] = counts(d.jobs);
    const h = clear(S.header);
    h.append(el("div", { class: "runhead" },
      el("h1", { class: "mono" }, d.runID),
      badge(d.result, "r-" + d.result),
      el("span", { class: "muted" }, "namespace " + d.namespace),
      el("span", { id: "jobcount" }, done + "/" + total + " Jobs done"),
      el("span", {}, (d.finishedAt ? "took " : "running for ") + runDuration(d))));
    const facts = [];
    if (d.model) facts.push("model " + d.model);
    if (d.startedAt) facts.push("started " + new Date(d.startedAt).toLocaleString());
    if (d.finishedAt) facts.push("finished " + new Date(d.finishedAt).toLocaleString());
    if (d.attempt) facts.push("attempt " + d.attempt);
    h.append(el("div", { class: "facts" }, facts.map((f) => el("span", {}, f))));
    if (d.params && Object.keys(d.params).length) {
      h.append(el("div", { class: "facts" }, "params ", Object.keys(d.params).sort().map((k) => el("code", {}, k + "=" + d.params[k]))));
    }
    if (d.message) h.append(el("div", { class: "message" + (d.result === "Failed" ? " failed" : "") }, d.message));
    drawActions(S, h);
  }

  function shq(s) { return /^[A-Za-z0-9_.\/:=@%+-]+$/.test(s) ? s : "'" + String(s).replace(/'/g, "'\\''") + "'"; }

  function drawActions(S, h) {
    const d = S.doc;
    const running = d.result === "Running";
    const box = el("div", { class: "actions" });
    if (!STATIC) {
      const status = el("span", { class: "muted", id: "actionstatus" });
      const cancel = el("button", { class: "danger", id: "cancel", disabled: !running, onclick: async () => {
        if (!confirm("Cancel run " + d.runID + "? Its active Jobs are deleted; nothing more is created.")) return;
        cancel.disabled = true; status.textContent = "cancelling…";
        try { const r = await post(S.base + "/cancel"); status.textContent = "cancelled; " + r.deletedJobs + " active Job(s) deleted"; }
        catch (e) { status.textContent = "cancel failed: " + e.message; cancel.disabled = false; }
      } }, "Cancel run");
      const del = el("button", { class: "danger", id: "delete", onclick: async () => {
        const q = running ? "Run " + d.runID + " is running: cancel it and delete it with all its Jobs?" : "Delete run " + d.runID + ", its record and all its Jobs?";
        if (!confirm(q)) return;
        del.disabled = true; status.textContent = "deleting…";
        try { await post(S.base + "/delete" + (running ? "?force=true" : "")); status.textContent = "deleted"; location.href = "/"; }
        catch (e) { status.textContent = "delete failed: " + e.message; del.disabled = false; }
      } }, "Delete run");
      box.append(cancel, del, status);
    }
    h.append(box);
    const nsf = " -n " + shq(d.namespace);
    const model = d.model ? shq(d.model) : "MODEL.yaml";
    const cmds = [];
    if (running) cmds.push(["resume (if its orchestrator stopped)", "jobernetes run -f " + model + " --run-id " + shq(d.runID) + nsf]);
    if (d.result === "Failed" || d.result === "Cancelled") cmds.push(["retry what failed", "jobernetes run -f " + model + " --run-id " + shq(d.runID) + nsf + " --retry-failed"]);
    cmds.push(["watch", "jobernetes status --run-id " + shq(d.runID) + nsf + (running ? " -w" : "")]);
    for (const [what, c] of cmds) h.append(cmdLine(what, c));
  }

  function cmdLine(what, c) {
    const code = el("code", { class: "cmdtext" }, c);
    const copy = el("button", { onclick: () => {
      if (navigator.clipboard) navigator.clipboard.writeText(c).then(() => { copy.textContent = "copied"; setTimeout(() => { copy.textContent = "copy"; }, 1500); });
    } }, "copy");
    return el("div", { class: "cmd" }, el("span", { class: "muted" }, what + ":"), code, copy);
  }

  // ---------------------------------------------------------------- the DAG
  // Phases are lanes, top to bottom; inside a phase, a job stands one
  // column right of the jobs it depends on. A phase with no edges wraps
  // its jobs into columns of 25.
  const NW = 190, NH = 30, GAPX = 46, GAPY = 10, LANEPAD = 12, LABELW = 130;

  function drawDAG(S) {
    const lanes = [];
    let y = 8, width = 0;
    for (const ph of S.phases) {
      const gs = [...S.groups.values()].filter((g) => g.phase === ph);
      const main = gs.filter((g) => !g.revert), reverts = gs.filter((g) => g.revert);
      const byName = new Map(main.map((g) => [g.job, g]));
      const depth = new Map();
      const depthOf = (g, stack) => {
        if (depth.has(g)) return depth.get(g);
        if (stack.has(g)) return 0;
        stack.add(g);
        let dd = 0;
        for (const dn of g.dependsOn) { const dg = byName.get(dn); if (dg) dd = Math.max(dd, depthOf(dg, stack) + 1); }
        stack.delete(g);
        depth.set(g, dd);
        return dd;
      };
      let edges = 0;
      for (const g of main) { depthOf(g, new Set()); edges += g.dependsOn.filter((n) => byName.has(n)).length; }
      const cols = [];
      for (const g of main) { const d = depth.get(g); (cols[d] = cols[d] || []).push(g); }
      // Order each column by where its dependencies stand (fewer crossings).
      for (let c = 1; c < cols.length; c++) {
        const pos = new Map(); cols[c - 1].forEach((g, i) => pos.set(g.job, i));
        const key = (g) => { const ps = g.dependsOn.filter((n) => pos.has(n)).map((n) => pos.get(n)); return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 1e9; };
        cols[c] = (cols[c] || []).map((g, i) => [key(g), i, g]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
      }
      let placed = cols.filter(Boolean);
      if (edges === 0 && main.length > 25) {
        placed = [];
        for (let i = 0; i < main.length; i += 25) placed.push(main.slice(i, i + 25));
      }
      if (reverts.length) placed.push(reverts);
      let x = LABELW, laneH = 0;
      for (const col of placed) {
        let cy = 0;
        for (const g of col) {
          g.x = x; g.y = y + LANEPAD + cy;
          g.h = nodeHeight(S, g);
          cy += g.h + GAPY;
        }
        laneH = Math.max(laneH, cy);
        x += NW + GAPX;
      }
      laneH = Math.max(laneH, NH + GAPY);
      lanes.push({ phase: ph, y, h: laneH + 2 * LANEPAD - GAPY, finally: gs.some((g) => g.finally), byName, main });
      y += laneH + 2 * LANEPAD - GAPY + 14;
      width = Math.max(width, x);
    }
    width = Math.max(width, 600);
    const svg = sv("svg", { class: "dag", width, height: y, viewBox: "0 0 " + width + " " + y });
    const gl = sv("g", {}), ge = sv("g", {}), gn = sv("g", {});
    svg.append(gl, ge, gn);
    S.nodes = new Map();
    lanes.forEach((ln, i) => {
      gl.append(sv("rect", { class: "lane", x: 2, y: ln.y, width: width - 4, height: ln.h, rx: 6 }));
      gl.append(sv("text", { class: "lanelabel", x: 12, y: ln.y + 20 }, trunc(ln.phase, 16)));
      gl.append(sv("text", { class: "tag", x: 12, y: ln.y + 34 }, ln.finally ? "finally phase" : "phase " + (i + 1)));
      if (i > 0) gl.append(sv("text", { class: "tag", x: 12, y: ln.y - 3 }, "▼ after " + trunc(lanes[i - 1].phase, 14)));
      for (const g of ln.main) g.deps = g.dependsOn.map((dn) => ln.byName.get(dn)).filter(Boolean);
    });
    svg.addEventListener("click", (ev) => {
      const n = ev.target.closest && ev.target.closest("g.node");
      if (n && n.__key) select(S, n.__key);
    });
    svg.setAttribute("data-nodes", S.groups.size);
    S.gn = gn; S.ge = ge;
    // A big run draws only the nodes near the visible part of the drawing
    // (and draws the others as it scrolls): 10,000 nodes at once are
    // seconds of the browser's time.
    S.virtual = S.groups.size > VIRTUAL_FROM;
    for (const g of S.groups.values()) g.el = null;
    if (!S.virtual) for (const g of S.groups.values()) gn.append(drawNode(S, g));
    clear(S.dagbox).append(svg);
    if (S.virtual) drawVisible(S);
  }

  const VIRTUAL_FROM = 1500;

  // drawVisible draws the nodes within a screen of the visible part and
  // removes the others.
  function drawVisible(S) {
    if (!S.virtual) return;
    const b = S.dagbox, mx = b.clientWidth || 1200, my = b.clientHeight || 800;
    const x0 = b.scrollLeft - mx, x1 = b.scrollLeft + 2 * mx, y0 = b.scrollTop - my, y1 = b.scrollTop + 2 * my;
    for (const g of S.groups.values()) {
      const vis = g.x + NW >= x0 && g.x <= x1 && g.y + g.h >= y0 && g.y <= y1;
      if (vis && !g.el) S.gn.append(drawNode(S, g));
      else if (!vis && g.el) { g.el.n.remove(); if (g.el.edge) g.el.edge.remove(); g.el = null; }
    }
  }

  function nodeHeight(S, g) {
    if (g.rows.length > 1 && S.expanded.has(g.key)) return NH + Math.min(g.rows.length, 50) * 16 + (g.rows.length > 50 ? 16 : 4);
    return NH;
  }

  function trunc(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  function drawNode(S, g) {
    const n = sv("g", { class: "node", transform: "translate(" + g.x + "," + g.y + ")", "data-job": g.job, "data-phase": g.phase });
    n.__key = g.key; // clicks are handled once, on the drawing (drawDAG)
    const title = sv("title", {});
    const box = sv("rect", { class: "box", width: NW, height: g.h });
    const label = sv("text", { x: 8, y: 19 });
    n.append(title, box, label);
    g.el = { n, title, label, tag: null, bars: null };
    if (g.rows.length > 1 || g.triggerRule) {
      g.el.bars = sv("g", {});
      g.el.tag = sv("text", { class: "tag", x: NW - 6, y: 19, "text-anchor": "end" });
      n.insertBefore(g.el.bars, label);
      n.append(g.el.tag);
    }
    if (g.rows.length > 1) {
      const t = sv("text", { class: "toggle", x: NW - 6, y: 12, "text-anchor": "end",
        onclick: (ev) => { ev.stopPropagation(); if (S.expanded.has(g.key)) S.expanded.delete(g.key); else S.expanded.add(g.key); drawDAG(S); } },
        S.expanded.has(g.key) ? "▾" : "▸");
      n.append(t);
    }
    // Its edges, from the jobs it depends on: drawn and removed with it.
    let d = "";
    for (const s of g.deps || []) {
      const x1 = s.x + NW, y1 = s.y + NH / 2, x2 = g.x, y2 = g.y + NH / 2, mx = (x1 + x2) / 2;
      d += "M" + x1 + " " + y1 + "C" + mx + " " + y1 + " " + mx + " " + y2 + " " + x2 + " " + y2;
    }
    if (d) { g.el.edge = sv("path", { class: "edges", d }); S.ge.append(g.el.edge); }
    S.nodes.set(g.key, n);
    updateNode(S, g);
    return n;
  }

  // updateNode sets a node's colour, label and bar from its rows: a patch
  // changes only these.
  function updateNode(S, g) {
    const e = g.el;
    if (!e) return;
    const st = aggregate(g);
    e.n.setAttribute("class", "node s-" + stateClass(st) + (g.revert ? " revert" : "") + (S.selected === g.key ? " sel" : ""));
    e.n.setAttribute("data-state", st);
    const multi = g.rows.length > 1;
    e.label.textContent = trunc(g.job, multi ? 19 : 24) + (multi ? " ×" + g.rows.length : "");
    if (e.tag) e.tag.textContent = multi ? "" : g.triggerRule;
    e.title.textContent = g.phase + "/" + g.job + ": " + st + (g.triggerRule ? " (trigger rule " + g.triggerRule + ")" : "") +
      (multi ? " (" + g.rows.length + " Jobs)" : "") + (g.revert ? " (revert)" : "");
    if (!e.bars) return;
    clear(e.bars);
    if (multi) {
      const c = {};
      for (const r of g.rows) c[stateClass(r.state)] = (c[stateClass(r.state)] || 0) + 1;
      let x = 8;
      const w = NW - 16;
      for (const s of KNOWN.concat(["other"])) {
        if (!c[s]) continue;
        const bw = (w * c[s]) / g.rows.length;
        e.bars.append(sv("rect", { class: "bar-" + s, x, y: NH - 6, width: Math.max(bw, 1), height: 3 }));
        x += bw;
      }
      if (S.expanded.has(g.key)) {
        g.rows.slice(0, 50).forEach((r, i) => {
          e.bars.append(sv("rect", { class: "bar-" + stateClass(r.state), x: 8, y: NH + i * 16 + 3, width: 8, height: 8, rx: 2 }));
          e.bars.append(sv("text", { class: "tag", x: 22, y: NH + i * 16 + 11 }, trunc(r.kubernetesJob, 28)));
        });
        if (g.rows.length > 50) e.bars.append(sv("text", { class: "tag", x: 8, y: NH + 50 * 16 + 11 }, "+" + (g.rows.length - 50) + " more (panel)"));
      }
    } else if (g.triggerRule) {
      e.bars.append(sv("rect", { class: "bar-other", x: 0, y: 0, width: 4, height: NH }));
    }
  }

  // ---------------------------------------------------------------- a job's panel
  function select(S, key) {
    const prev = S.selected;
    S.selected = key;
    if (prev && S.groups.get(prev)) updateNode(S, S.groups.get(prev));
    const g = S.groups.get(key);
    if (g) updateNode(S, g);
    stopLogs(S);
    drawPanel(S);
  }

  function closePanel(S) {
    const prev = S.selected;
    S.selected = null;
    if (prev && S.groups.get(prev)) updateNode(S, S.groups.get(prev));
    stopLogs(S);
    S.panel.hidden = true;
    S.layout.className = "layout nopanel";
  }

  function stopLogs(S) { if (S.logES) { S.logES.close(); S.logES = null; } }

  function drawPanel(S) {
    const g = S.groups.get(S.selected);
    if (!g) return closePanel(S);
    S.panel.hidden = false;
    S.layout.className = "layout";
    const p = clear(S.panel);
    const st = aggregate(g);
    p.append(el("button", { class: "close", onclick: () => closePanel(S) }, "close"),
      el("h2", {}, g.job, " ", badge(st, "st-" + stateClass(st))));
    const kv = [["phase", g.phase]];
    if (g.dependsOn.length) kv.push(["depends on", g.dependsOn.join(", ")]);
    if (g.triggerRule) kv.push(["trigger rule", g.triggerRule]);
    if (g.finally) kv.push(["finally", "yes"]);
    if (g.revert) kv.push(["revert", "compensates " + g.job.replace(/ \(revert\)$/, "")]);
    p.append(el("table", { class: "kv" }, kv.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, v)))));

    p.append(el("h3", {}, g.rows.length > 1 ? "Jobs (" + g.rows.length + ")" : "Job"));
    const rows = g.rows.slice(0, 500);
    p.append(el("table", { class: "jobs" },
      el("thead", {}, el("tr", {}, ["KUBERNETES JOB", "STATE", "DURATION"].map((c) => el("th", {}, c)))),
      el("tbody", {}, rows.map((r) => el("tr", {},
        el("td", { class: "mono" }, r.kubernetesJob, r.attempt ? " (attempt " + r.attempt + (r.replaced ? ", replaced" : "") + ")" : ""),
        el("td", {}, badge(r.state, "st-" + stateClass(r.state))),
        el("td", {}, r.createdAt ? fmtDur(r.finishedAt ? r.durationSeconds : since(r.createdAt)) : "-"))))));
    if (g.rows.length > rows.length) p.append(el("p", { class: "muted" }, "and " + (g.rows.length - rows.length) + " more"));

    // Why: failures with exit code, message and log tail; waits.
    for (const r of g.rows) {
      if (r.state !== "succeeded" && (r.reason || r.message)) {
        p.append(el("h3", {}, "Why " + r.kubernetesJob + " is " + r.state),
          el("div", { class: "message" + (r.state === "failed" ? " failed" : "") }, [r.reason, r.message].filter(Boolean).join(": ")));
      }
      if (r.waiting) p.append(el("div", { class: "message" }, "waits: " + r.waiting));
      for (const f of r.pods || []) {
        const box = el("div", { class: "podfailure" });
        box.append(el("div", {}, el("span", { class: "mono" }, "pod " + f.pod), f.container ? " container " + f.container : ""),
          el("div", { class: "exitcode" }, "exit code ", el("strong", {}, String(f.exitCode || 0)), f.reason ? " (" + f.reason + ")" : ""));
        if (f.message) box.append(el("div", { class: "message failed" }, f.message));
        if (f.logTail && f.logTail.length) box.append(el("div", { class: "muted" }, "last log lines:"), el("pre", { class: "log logtail" }, f.logTail.join("\n")));
        p.append(box);
      }
      if (g.rows.length > 20) break; // a big group: the first ones say enough
    }

    // Results and parameters.
    const results = g.rows.filter((r) => r.results && Object.keys(r.results).length);
    if (results.length) {
      p.append(el("h3", {}, "Results"));
      for (const r of results.slice(0, 50)) {
        p.append(el("table", { class: "kv results" }, Object.keys(r.results).sort().map((k) =>
          el("tr", {}, el("td", {}, (results.length > 1 ? r.kubernetesJob + " " : "") + k), el("td", { class: "mono" }, typeof r.results[k] === "string" ? r.results[k] : JSON.stringify(r.results[k]))))));
      }
    }
    const params = Object.assign({}, S.doc.params || {});
    const jp = g.rows.find((r) => r.params);
    if (jp) Object.assign(params, jp.params);
    if (Object.keys(params).length) {
      p.append(el("h3", {}, "Parameters"), el("table", { class: "kv" }, Object.keys(params).sort().map((k) => el("tr", {}, el("td", {}, k), el("td", { class: "mono" }, params[k])))));
    }

    if (!STATIC) {
      const started = g.rows.filter((r) => r.createdAt);
      p.append(el("h3", {}, "Logs"));
      if (!started.length) p.append(el("p", { class: "muted" }, "Not started: no logs yet."));
      else {
        const pick = el("select", { id: "logjob" }, started.slice(0, 200).map((r) => el("option", { value: r.kubernetesJob }, r.kubernetesJob)));
        const out = el("pre", { class: "log", id: "logs" });
        const btn = el("button", { class: "showlogs", onclick: () => followLogs(S, pick.value, out, btn) }, "Show logs");
        p.append(el("div", { class: "actions" }, pick, btn), out);
        out.hidden = true;
      }
      const c = "jobernetes logs --run-id " + shq(S.doc.runID) + " -n " + shq(S.doc.namespace) + " " + shq(g.phase + "/" + g.job) + (S.doc.result === "Running" ? " -f" : "");
      p.append(cmdLine("in a terminal", c));
    }
  }

  // followLogs streams a Kubernetes Job's logs into out, live until the
  // panel closes.
  function followLogs(S, job, out, btn) {
    stopLogs(S);
    clear(out);
    out.hidden = false;
    btn.textContent = "Restart logs";
    const es = new EventSource(S.base + "/logs?follow=true&tail=500&job=" + encodeURIComponent(job));
    S.logES = es;
    let n = 0;
    es.onmessage = (ev) => {
      const l = JSON.parse(ev.data);
      out.appendChild(document.createTextNode(l.line + "\n"));
      if (++n > 5000) out.removeChild(out.firstChild);
      out.scrollTop = out.scrollHeight;
    };
    es.addEventListener("end", () => { es.close(); if (!n) out.appendChild(document.createTextNode("(no log lines: the pods are gone or have not started)\n")); });
    es.onerror = () => { if (es.readyState === EventSource.CLOSED && !n) out.appendChild(document.createTextNode("(logs could not be read)\n")); };
  }

  // ---------------------------------------------------------------- timeline
  // TIMELINE_ROWS: past this many Jobs the timeline (one row per Job) is
  // drawn when asked for, not on every change.
  const TIMELINE_ROWS = 2000;

  function refreshTimeline(S) {
    if (STATIC || !S.base) return;
    if (S.doc.jobs.length > TIMELINE_ROWS && !S.tlWanted) {
      if (!document.getElementById("timelinebtn")) {
        S.timeline.append(el("h2", {}, "Timeline"), el("button", { id: "timelinebtn", onclick: (ev) => {
          ev.target.remove(); S.tlWanted = true; S.tlAt = 0; refreshTimeline(S);
        } }, "Draw the timeline (" + S.doc.jobs.length + " rows)"));
      }
      return;
    }
    const now = Date.now();
    if (S.tlPending) return;
    const wait = Math.max(0, (S.tlAt || 0) + 3000 - now);
    S.tlPending = setTimeout(() => {
      S.tlPending = null;
      S.tlAt = Date.now();
      let img = document.getElementById("timelineimg");
      if (!img) {
        img = el("img", { id: "timelineimg", alt: "timeline of the run's Jobs",
          onerror: () => { S.timeline.hidden = true; }, onload: () => { S.timeline.hidden = false; } });
        if (!S.tlWanted) S.timeline.append(el("h2", {}, "Timeline"));
        S.timeline.append(img);
      }
      img.src = S.base + "/timeline.svg?at=" + S.tlAt;
    }, wait);
  }

  // ---------------------------------------------------------------- routes
  function route() {
    if (STATIC) {
      const doc = JSON.parse(STATIC.textContent);
      runPage(doc.namespace, doc.runID, doc);
      return;
    }
    const m = location.pathname.match(/^\/runs\/([^/]+)\/([^/]+)\/?$/);
    if (m) runPage(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    else listPage();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", route); else route();
})();
