/* credgraph explorer: one entity ("#/entity/<id>"): its map with expand, its flags with
 * their evidence paths highlighted, and the printable credit report. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var graph = CG.graph;
  var state = CG.state;

  function updateMapStatus() {
    var m = state.map;
    var people = m.nodes.get({filter: function (n) { return n.category !== "more"; }}).length;
    var rels = m.edges.get({filter: function (e) { return !e.placeholder; }}).length;
    $("map-status").textContent = CG.t("map.status", {nodes: people, relations: rels});
    $("entity-map").setAttribute("data-node-count", String(people));
  }

  function positionOf(id) {
    var m = state.map;
    if (!m.network || !id || !m.nodes.get(id)) { return null; }
    return m.network.getPositions([id])[id] || null;
  }

  function addPlaceholders(net, fresh) {
    var m = state.map;
    net.nodes.forEach(function (n) {
      // The expanded node's own count replaces its "and N more"; others keep theirs.
      var isCenter = n.id === net.center;
      var placeholderId = "more:" + n.id;
      if (isCenter && m.nodes.get(placeholderId)) {
        m.nodes.remove(placeholderId);
        m.edges.remove("more|" + n.id);
      }
      if (n.hidden_neighbours > 0 && !m.nodes.get(placeholderId) && (isCenter || fresh.indexOf(n) >= 0)) {
        var placeholder = graph.moreNode(n);
        var at = positionOf(n.id);
        if (at) { placeholder.x = at.x + 110; placeholder.y = at.y - 80; }
        m.nodes.add(placeholder);
        m.edges.add({id: "more|" + n.id, from: n.id, to: placeholderId, dashes: [2, 4],
                     color: CG.PALETTE.more.border, arrows: "", placeholder: true});
      }
    });
  }

  function addNetwork(net, around) {
    var m = state.map;
    var origin = positionOf(around) || positionOf(state.entity);
    var fresh = net.nodes.filter(function (n) { return !m.nodes.get(n.id); });
    fresh.forEach(function (n, i) {
      var v = graph.visNode(n, state.entity);
      if (origin) {
        // New neighbours on a ring around the expanded node; the map stays frozen.
        var angle = 2 * Math.PI * i / Math.max(fresh.length, 1);
        var r = 160 + 6 * fresh.length;
        v.x = origin.x + r * Math.cos(angle);
        v.y = origin.y + r * Math.sin(angle);
      }
      m.nodes.add(v);
    });
    addPlaceholders(net, fresh);
    net.edges.forEach(function (e) {
      if (!m.edges.get(graph.edgeId(e))) { m.edges.add(graph.visEdge(e)); }
    });
    updateMapStatus();
  }

  function drawMap(net) {
    var m = state.map;
    m.network = new vis.Network($("entity-map"), {nodes: m.nodes, edges: m.edges}, graph.mapOptions());
    m.network.once("stabilizationIterationsDone", function () {
      m.network.setOptions({physics: false});
      $("entity-map").setAttribute("data-stabilized", "true");
    });
    m.network.on("click", onMapClick);
    m.network.on("doubleClick", function (params) {
      var node = params.nodes.length ? m.nodes.get(params.nodes[0]) : null;
      if (node && node.category !== "more" && CG.reachable(node.id)) {
        location.hash = "#/entity/" + CG.encode(node.id);
      }
    });
    return net;
  }

  function openEntity(id) {
    state.entity = id;
    state.expanded = {};
    $("entity-name").textContent = CG.t("entity.loading");
    $("entity-id").textContent = id;
    $("flag-list").textContent = "";
    $("node-details").textContent = "";
    $("map-status").textContent = "";
    graph.legend($("entity-legend"));
    if (state.map && state.map.network) { state.map.network.destroy(); }
    state.map = {nodes: new vis.DataSet(), edges: new vis.DataSet(), network: null};
    CG.api("/entities/" + CG.encode(id) + "/network?depth=1&limit=50").then(function (net) {
      state.entity = net.center;
      setActions(net.center);
      state.expanded[net.center] = true;
      var center = net.nodes.filter(function (n) { return n.id === net.center; })[0] || {name: id, flags: []};
      $("entity-name").textContent = center.name;
      $("entity-id").textContent = CG.t("entity.as_of", {id: net.center, day: net.as_of});
      document.title = center.name + " — credgraph";
      addNetwork(net, null);
      renderFlags(center.flags || []);
      drawMap(net);
    }).catch(function (err) {
      $("entity-name").textContent = CG.t("entity.failed", {id: id});
      $("map-status").textContent = err.message;
    });
  }

  function onMapClick(params) {
    var m = state.map;
    if (!params.nodes.length) {
      var edge = params.edges.length ? m.edges.get(params.edges[0]) : null;
      $("node-details").textContent = edge && edge.title ? edge.title : "";
      return;
    }
    var node = m.nodes.get(params.nodes[0]);
    var target = node.category === "more" ? node.parent : node.id;
    var real = m.nodes.get(target);
    $("node-details").textContent = real ? real.title : "";
    expand(target);
  }

  function expand(id) {
    if (state.expanded[id]) { return Promise.resolve(); }
    if (!CG.reachable(id)) {
      $("map-status").textContent = CG.t("map.masked");
      return Promise.resolve();
    }
    state.expanded[id] = true;
    $("map-status").textContent = CG.t("map.expanding");
    return CG.api("/entities/" + CG.encode(id) + "/network?depth=1&limit=50").then(function (net) {
      addNetwork(net, id);
    }).catch(function (err) {
      state.expanded[id] = false;
      $("map-status").textContent = CG.t("map.expand_failed", {error: err.message});
    });
  }

  function nameOf(id) {
    var node = state.map ? state.map.nodes.get(id) : null;
    return node && node.data ? node.data.name : id;
  }

  function pathText(f) {
    var rels = (f.relations || []).map(function (r) { return CG.term("role", r); });
    return CG.t("flag.path", {path: (f.path || []).map(nameOf).join(" → ")}) +
      (rels.length ? "（" + rels.join("、") + "）" : "");
  }

  function flagItem(f, i, list) {
    var li = CG.el("li", CG.category({flags: [f]}));
    li.setAttribute("data-flag-index", String(i));
    li.setAttribute("data-flag", f.flag);
    li.appendChild(CG.el("div", "flag-label", f.label || CG.term("flag", f.flag) + " · " + CG.term("list", f.list)));
    if (f.explanation) { li.appendChild(CG.el("div", "explanation", f.explanation)); }
    var meta = CG.el("div", "path", CG.t("flag.meta", {entry: f.entry_id, rule: f.rule}) + " · ");
    meta.appendChild(graph.citation(f));
    if (f.other_paths) { meta.appendChild(document.createTextNode(" · " + CG.t("flag.other_paths", {n: f.other_paths}))); }
    li.appendChild(meta);
    var path = CG.el("div", "path", pathText(f));
    li.appendChild(path);
    li.addEventListener("click", function () {
      list.querySelectorAll("li").forEach(function (x) { x.classList.remove("selected"); });
      li.classList.add("selected");
      highlightPath(f).then(function () { path.textContent = pathText(f); });
    });
    return li;
  }

  function renderFlags(flags) {
    state.flags = flags;
    var list = $("flag-list");
    list.textContent = "";
    if (!flags.length) {
      list.appendChild(CG.el("li", "", CG.t("flag.none")));
      return;
    }
    flags.forEach(function (f, i) { list.appendChild(flagItem(f, i, list)); });
  }

  function ensureOnMap(path) {
    // Evidence can start beyond the map (e.g. the listed firm two hops away): fetch missing nodes.
    var m = state.map;
    var chain = Promise.resolve();
    path.forEach(function (id, i) {
      chain = chain.then(function () {
        if (m.nodes.get(id)) { return null; }
        return CG.api("/entities/" + CG.encode(id) + "/network?depth=1&limit=1").then(function (net) {
          var center = net.nodes.filter(function (n) { return n.id === net.center; });
          var onMap = net.edges.filter(function (e) {
            return (e.source === net.center && m.nodes.get(e.target)) || (e.target === net.center && m.nodes.get(e.source));
          });
          addNetwork({center: null, nodes: center, edges: onMap}, path[i + 1] || path[i - 1] || state.entity);
        }).catch(function () { return null; });  // e.g. a masked id: highlight what is drawn
      });
    });
    return chain;
  }

  function resetHighlight() {
    var m = state.map;
    m.edges.remove(m.edges.getIds({filter: function (e) { return e.evidence; }}));
    m.edges.update(m.edges.get({filter: function (e) { return !e.placeholder; }}).map(function (e) {
      return {id: e.id, color: e.baseColor, width: e.baseWidth};
    }));
    m.nodes.update(m.nodes.get({filter: function (n) { return n.category !== "more"; }}).map(function (n) {
      return {id: n.id, borderWidth: n.baseBorderWidth, borderWidthSelected: Math.max(n.baseBorderWidth, 2.5), shadow: false,
              color: {border: n.baseBorder, highlight: {border: "#000000"}}};
    }));
  }

  function markPath(flag, path) {
    var m = state.map;
    var glow = {enabled: true, color: CG.EVIDENCE_COLOUR, size: 14, x: 0, y: 0};
    path.forEach(function (id) {
      if (m.nodes.get(id)) {
        m.nodes.update({id: id, borderWidth: 3, borderWidthSelected: 3, shadow: glow,
                        color: {border: CG.EVIDENCE_COLOUR, highlight: {border: CG.EVIDENCE_COLOUR}}});
      }
    });
    for (var i = 0; i + 1 < path.length; i++) {
      var a = path[i], b = path[i + 1];
      var between = m.edges.get({filter: function (e) {
        return !e.placeholder && ((e.from === a && e.to === b) || (e.from === b && e.to === a));
      }});
      if (between.length) {
        m.edges.update(between.map(function (e) { return {id: e.id, color: CG.EVIDENCE_COLOUR, width: 4}; }));
      } else if (m.nodes.get(a) && m.nodes.get(b)) {
        m.edges.add({id: "evidence|" + a + "|" + b, from: a, to: b, evidence: true, dashes: [6, 3], arrows: "",
                     label: (flag.relations || [])[i] || "", color: CG.EVIDENCE_COLOUR, width: 3,
                     font: {face: CG.FONT, size: 11, color: CG.EVIDENCE_COLOUR}});
      }
    }
  }

  function highlightPath(flag) {
    var m = state.map;
    var path = flag.path || [];
    return ensureOnMap(path).then(function () {
      resetHighlight();
      markPath(flag, path);
      var shown = path.filter(function (id) { return m.nodes.get(id); });
      if (m.network && shown.length) {
        m.network.selectNodes(shown);
        m.network.fit({nodes: shown, animation: false});
        if (m.network.getScale() > 1.2) { m.network.moveTo({scale: 1.2}); }
      }
      $("entity-map").setAttribute("data-highlighted", path.join(","));
      updateMapStatus();
    });
  }

  function setActions(id) {
    // Shareable addresses (the reader needs a key of their own, never one in a URL).
    $("report-link").href = "#/report/" + CG.encode(id);
    $("ownership-link").href = "#/ownership/" + CG.encode(id);
    $("paths-link").href = "#/paths?from=" + encodeURIComponent(id);
    $("timeline-button").href = "#/history/" + CG.encode(id);
  }

  CG.router.register({
    name: "entity",
    route: "/entity/",
    open: function (params) { setActions(params.rest); openEntity(params.rest); }
  });
})();
