/* credgraph explorer: paths between two entities ("#/paths?from=…&to=…&k=3"): the k
 * shortest relation paths with names and roles, listed and drawn. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var state = CG.state;

  function describe(path, names) {
    var parts = [];
    path.nodes.forEach(function (id, i) {
      parts.push(names[id] || id);
      if (i < path.relations.length) { parts.push("—" + CG.term("role", path.relations[i]) + "—"); }
    });
    return parts.join(" ");
  }

  function draw(result, names) {
    if (state.pathsMap) { state.pathsMap.destroy(); }
    var nodes = new vis.DataSet();
    var edges = new vis.DataSet();
    result.paths.forEach(function (p, k) {
      p.nodes.forEach(function (id, i) {
        if (!nodes.get(id)) {
          var end = id === result.from || id === result.to;
          nodes.add({id: id, label: names[id] || id, shape: "box", level: i,
                     color: {background: end ? "#ffe0b2" : "#e3f2fd", border: end ? "#ef6c00" : "#1e88e5"},
                     font: {face: CG.FONT}, borderWidth: end ? 3 : 1});
        }
        if (i + 1 < p.nodes.length) {
          var eid = [id, p.nodes[i + 1], p.relations[i]].join("|");
          if (!edges.get(eid)) {
            edges.add({id: eid, from: id, to: p.nodes[i + 1], label: CG.term("role", p.relations[i]),
                       font: {face: CG.FONT, size: 11}, color: k === 0 ? CG.EVIDENCE_COLOUR : CG.EDGE_COLOUR,
                       width: k === 0 ? 3 : 1.5});
          }
        }
      });
    });
    state.pathsMap = new vis.Network($("paths-map"), {nodes: nodes, edges: edges}, {
      layout: {hierarchical: {direction: "LR", sortMethod: "directed", levelSeparation: 220, nodeSpacing: 90}},
      physics: false, edges: {smooth: false, arrows: ""}, interaction: {hover: true}
    });
    $("paths-map").setAttribute("data-node-count", String(nodes.length));
  }

  function render(result) {
    var list = $("paths-list");
    list.textContent = "";
    return CG.namesOf([].concat.apply([], result.paths.map(function (p) { return p.nodes; })), result.names)
      .then(function (names) {
        $("paths-status").textContent = result.paths.length
          ? CG.t("paths.count", {n: result.paths.length, from: names[result.from] || result.from, to: names[result.to] || result.to})
          : CG.t("paths.none", {depth: result.max_depth});
        result.paths.forEach(function (p) {
          var li = CG.el("li", "", describe(p, names));
          li.setAttribute("data-hops", String(p.relations.length));
          list.appendChild(li);
        });
        draw(result, names);
      });
  }

  function run(from, to, k, asOf) {
    $("paths-status").textContent = CG.t("paths.searching");
    CG.api("/paths" + CG.query({from: from, to: to, limit: k, as_of: asOf})).then(render)
      .catch(function (err) { $("paths-status").textContent = CG.t("paths.failed", {error: err.message}); });
  }

  CG.router.register({
    name: "paths",
    route: "/paths",
    nav: "nav.paths",
    template:
      '<h1 data-i18n="paths.title"></h1>' +
      '<form id="paths-form" class="row-form">' +
      '<input id="paths-from" required data-i18n-placeholder="paths.from" data-i18n-aria-label="paths.from">' +
      '<input id="paths-to" required data-i18n-placeholder="paths.to" data-i18n-aria-label="paths.to">' +
      '<label><span data-i18n="paths.k"></span> <input id="paths-k" type="number" min="1" max="20" value="3"></label>' +
      '<button type="submit" data-i18n="paths.button"></button></form>' +
      '<p id="paths-status" class="status" role="status"></p>' +
      '<ol id="paths-list" class="paths-list"></ol>' +
      '<div class="map-wrap small"><div id="paths-map" class="map"></div></div>',
    init: function () {
      $("paths-form").addEventListener("submit", function (event) {
        event.preventDefault();
        location.hash = "#/paths" + CG.query({from: $("paths-from").value.trim(), to: $("paths-to").value.trim(),
                                              k: $("paths-k").value});
      });
    },
    open: function (params) {
      $("paths-from").value = params.get("from") || "";
      $("paths-to").value = params.get("to") || "";
      if (params.get("k")) { $("paths-k").value = params.get("k"); }
      if (params.get("from") && params.get("to")) {
        run(params.get("from"), params.get("to"), $("paths-k").value, params.get("as_of"));
      } else {
        $("paths-status").textContent = "";
        $("paths-list").textContent = "";
      }
    }
  });
})();
