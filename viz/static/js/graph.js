/* credgraph explorer: vis-network nodes, edges, tooltips, legend and options shared by
 * every view that draws a map (mirrors viz/style.py). */
(function () {
  "use strict";

  var CG = window.CG;
  var graph = CG.graph = {};

  graph.edgeLabel = function (edge) {
    var text = edge.role === "executive" && edge.title ? CG.term("title", edge.title)
      : CG.term("role", edge.role);
    if (edge.share_pct !== null && edge.share_pct !== undefined) { text += " " + (+edge.share_pct) + "%"; }
    return text;
  };

  graph.flagLine = function (f) {
    if (f.explanation) { return "• " + (f.label || "") + "：" + f.explanation + " (" + f.rule + "; " + f.citation + ")"; }
    return "• " + CG.t("flag.line", {flag: CG.term("flag", f.flag), list: CG.term("list", f.list), entry: f.entry_id,
                                     rule: f.rule, citation: f.citation});
  };

  /** "003:L24; 001:L709" as spans whose tooltip is the quoted clause (f.clauses). */
  graph.citation = function (item) {
    var span = CG.el("span", "citation");
    var clauses = item.clauses || [];
    if (!clauses.length) { span.textContent = item.citation || ""; return span; }
    clauses.forEach(function (c, i) {
      if (i) { span.appendChild(document.createTextNode("; ")); }
      var cite = CG.el("abbr", "cite", c.citation);
      cite.title = c.text ? "“" + c.text + "”" : "";
      span.appendChild(cite);
    });
    return span;
  };

  graph.nodeTooltip = function (node) {
    var idLabel = CG.t(node.type === "enterprise" ? "node.uscc" : "node.person_id");
    var lines = [node.name, CG.term("type", node.type) + " · " + idLabel + " " + node.id];
    if ((node.flags || []).length) {
      lines.push(CG.t("node.flags"));
      node.flags.forEach(function (f) { lines.push(graph.flagLine(f)); });
    }
    if (node.hidden_neighbours) { lines.push(CG.t("node.hidden", {n: node.hidden_neighbours})); }
    return lines.join("\n");
  };

  graph.visNode = function (node, center) {
    var cat = CG.category(node);
    var sw = CG.PALETTE[cat];
    return {
      id: node.id, label: node.name, title: graph.nodeTooltip(node),
      shape: node.type === "person" ? "ellipse" : "box",
      color: {background: sw.background, border: sw.border, highlight: {background: sw.background, border: "#000000"}},
      font: {color: sw.font, face: CG.FONT}, borderWidth: node.id === center ? 4 : 1.5,
      borderWidthSelected: node.id === center ? 4 : 2.5,
      baseBorderWidth: node.id === center ? 4 : 1.5, baseBorder: sw.border, category: cat, data: node
    };
  };

  graph.moreNode = function (node) {
    var sw = CG.PALETTE.more;
    return {
      id: "more:" + node.id, label: CG.t("node.more", {n: node.hidden_neighbours}), shape: "box",
      color: {background: sw.background, border: sw.border}, font: {color: sw.font, size: 11, face: CG.FONT},
      shapeProperties: {borderDashes: [4, 4]}, category: "more", parent: node.id,
      title: CG.t("node.more_title", {name: node.name, n: node.hidden_neighbours})
    };
  };

  graph.edgeId = function (e) { return [e.source, e.target, e.role, e.title || "", e.start_on || ""].join("|"); };

  graph.visEdge = function (e) {
    var label = graph.edgeLabel(e);
    var colour = e.ended ? CG.ENDED_EDGE_COLOUR : CG.EDGE_COLOUR;
    return {
      id: graph.edgeId(e), from: e.source, to: e.target, label: label, arrows: "to",
      title: label + "\n" + CG.t("edge.period", {start: e.start_on || CG.t("edge.open"), end: e.end_on || CG.t("edge.open")}) +
        (e.ended ? "\n" + CG.t("edge.ended") : ""),
      dashes: !!e.ended, color: colour, width: e.ended ? 1 : 1.5,
      baseColor: colour, baseWidth: e.ended ? 1 : 1.5,
      font: {face: CG.FONT, size: 11, color: "#37474f"}
    };
  };

  graph.legend = function (container) {
    container.textContent = "";
    Object.keys(CG.PALETTE).forEach(function (key) {
      var row = CG.el("div");
      var swatch = CG.el("i");
      swatch.style.background = CG.PALETTE[key].background;
      swatch.style.borderColor = CG.PALETTE[key].border;
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(CG.t(CG.PALETTE[key].legend)));
      container.appendChild(row);
    });
  };

  graph.mapOptions = function () {
    return {
      nodes: {font: {face: CG.FONT, size: 14}},
      edges: {smooth: false, color: {inherit: false}, arrows: {to: {enabled: true, scaleFactor: 0.5}},
              font: {face: CG.FONT, size: 11, align: "middle"}},
      layout: {improvedLayout: false},
      physics: {solver: "barnesHut", stabilization: {iterations: 250, fit: true},
                barnesHut: {gravitationalConstant: -6000, springLength: 160, springConstant: 0.03, avoidOverlap: 0.3}},
      interaction: {hover: true, tooltipDelay: 150}
    };
  };
})();
