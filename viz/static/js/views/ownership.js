/* credgraph explorer: the ownership chart, 股权穿透图 ("#/ownership/<uscc>"): holders
 * above, holdings below, each hop with its share and each party with its effective
 * share; ultimate beneficial owners marked, circles drawn dashed. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var state = CG.state;
  var UBO_BORDER = "#ff8f00";
  var CYCLE_COLOUR = "#c62828";

  function pct(value) { return value === null || value === undefined ? "?" : (+value).toFixed(2).replace(/\.?0+$/, "") + "%"; }

  function chart(result, names) {
    var hop = {};
    (result.hops || []).forEach(function (h) { hop[h.source + ">" + h.target] = h.pct; });
    var ubo = {};
    result.ubos.forEach(function (u) { ubo[u.person_id] = u.pct; });
    var effective = {};
    result.owners.forEach(function (o) { effective[o.id] = o.pct; });
    result.holdings.forEach(function (h) { effective[h.uscc] = h.pct; });
    var nodes = new vis.DataSet();
    var edges = new vis.DataSet();
    function node(id, level) {
      if (nodes.get(id)) { return; }
      var isUbo = ubo[id] !== undefined;
      var label = (names[id] || id) + (id === result.uscc ? "" : "\n" + CG.t("ownership.effective", {pct: pct(effective[id])}));
      if (isUbo) { label += "\n★ " + CG.t("ownership.ubo"); }
      nodes.add({id: id, label: label, level: level, shape: "box", ubo: isUbo,
                 color: {background: id === result.uscc ? "#ffe0b2" : (isUbo ? "#fff8e1" : "#e3f2fd"),
                         border: isUbo ? UBO_BORDER : (id === result.uscc ? "#ef6c00" : "#1e88e5")},
                 borderWidth: isUbo || id === result.uscc ? 3 : 1, font: {face: CG.FONT, multi: false}});
    }
    function link(a, b, cycle) {
      var id = a + ">" + b;
      if (edges.get(id)) { return; }
      edges.add({id: id, from: a, to: b, arrows: "to", label: pct(hop[id]), dashes: !!cycle,
                 color: cycle ? CYCLE_COLOUR : CG.EDGE_COLOUR, font: {face: CG.FONT, size: 12}});
    }
    node(result.uscc, 0);
    result.owners.forEach(function (o) {
      o.paths.forEach(function (p) {
        p.forEach(function (id, i) { node(id, i - (p.length - 1)); });
        for (var i = 0; i + 1 < p.length; i++) { link(p[i], p[i + 1]); }
      });
    });
    result.holdings.forEach(function (h) {
      h.paths.forEach(function (p) {
        p.forEach(function (id, i) { node(id, i); });
        for (var i = 0; i + 1 < p.length; i++) { link(p[i], p[i + 1]); }
      });
    });
    result.cycles.forEach(function (c) {
      c.forEach(function (id) { node(id, 0); });
      for (var i = 0; i < c.length; i++) { link(c[i], c[(i + 1) % c.length], true); }
    });
    if (state.ownershipMap) { state.ownershipMap.destroy(); }
    state.ownershipMap = new vis.Network($("ownership-map"), {nodes: nodes, edges: edges}, {
      layout: {hierarchical: {direction: "UD", sortMethod: "directed", levelSeparation: 130, nodeSpacing: 230}},
      physics: false, edges: {smooth: {type: "cubicBezier", forceDirection: "vertical"}}, interaction: {hover: true}
    });
    var map = $("ownership-map");
    map.setAttribute("data-node-count", String(nodes.length));
    map.setAttribute("data-ubo-count", String(result.ubos.length));
    map.setAttribute("data-cycle-count", String(result.cycles.length));
  }

  function summary(result, names) {
    var ac = result.actual_controller;
    var lines = [
      CG.t("ownership.controller", {name: ac ? (names[ac.id] || ac.id) + "（" + CG.t(ac.basis === "declared" ? "ownership.basis.declared" : "ownership.basis.majority_chain") + "）" : CG.t("ownership.none")}),
      CG.t("ownership.ubos", {list: result.ubos.map(function (u) { return (names[u.person_id] || u.person_id) + " " + pct(u.pct); }).join("、") || CG.t("ownership.none")})
    ];
    result.cycles.forEach(function (c) {
      lines.push(CG.t("ownership.cycle", {cycle: c.map(function (id) { return names[id] || id; }).join(" → ")}));
    });
    var box = $("ownership-summary");
    box.textContent = "";
    lines.forEach(function (l) { box.appendChild(CG.el("li", "", l)); });
  }

  function open(id, asOf) {
    $("ownership-status").textContent = CG.t("ownership.loading");
    $("ownership-entity").href = "#/entity/" + CG.encode(id);
    CG.api("/entities/" + CG.encode(id) + "/ownership" + CG.query({as_of: asOf})).then(function (result) {
      var ids = [result.uscc].concat(result.owners.map(function (o) { return o.id; }),
                                     result.holdings.map(function (h) { return h.uscc; }));
      return CG.namesOf(ids, result.names, 60).then(function (names) {
        $("ownership-title").textContent = CG.t("ownership.title", {name: names[result.uscc] || result.uscc});
        $("ownership-status").textContent = CG.t("ownership.status", {owners: result.owners.length,
                                                                       holdings: result.holdings.length, day: result.as_of});
        summary(result, names);
        chart(result, names);
      });
    }).catch(function (err) { $("ownership-status").textContent = CG.t("ownership.failed", {error: err.message}); });
  }

  CG.router.register({
    name: "ownership",
    route: "/ownership/",
    template:
      '<div class="entity-head"><h1 id="ownership-title"></h1><span class="spacer"></span>' +
      '<a id="ownership-entity" data-i18n="report.back"></a></div>' +
      '<p id="ownership-status" class="status" role="status"></p>' +
      '<ul id="ownership-summary" class="links"></ul>' +
      '<div class="map-wrap tall"><div id="ownership-map" class="map"></div></div>',
    open: function (params) { open(params.rest, params.get("as_of")); }
  });
})();
