/* credgraph explorer core: the CG namespace, DOM helpers, shared state and the
 * node/edge styling that mirrors viz/style.py (a test keeps the colours in step).
 *
 * Load order (index.html): core, messages, i18n, api, graph, router, views/*, then
 * the router boots on DOMContentLoaded. Data is written with textContent only,
 * never as HTML.
 */
(function () {
  "use strict";

  var CG = window.CG = window.CG || {};

  CG.$ = function (id) { return document.getElementById(id); };

  /** A new element with an optional class and text (textContent: data never becomes markup). */
  CG.el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  };

  CG.encode = function (id) { return encodeURIComponent(id); };
  // a masked id without a ref ("1101**********0053") names nobody the API can
  // look up; a person's ref ("1101**********0053~…") can be passed back as an id
  CG.reachable = function (id) { return id.indexOf("*") < 0 || id.indexOf("~") >= 0; };

  /** Shared state; also window.credgraphExplorer for the browser tests. */
  CG.state = {entity: null, map: null, links: null, flags: [], expanded: {}};

  CG.SEVERE = ["serious_dishonesty", "dishonest_debtor", "serious_illegal"];
  CG.FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", ' +
    '"WenQuanYi Micro Hei", "Hiragino Sans GB", "Heiti SC", sans-serif';
  CG.PALETTE = {
    severe: {background: "#e53935", border: "#8e0000", font: "#ffffff", legend: "legend.severe"},
    responsible: {background: "#fb8c00", border: "#a85400", font: "#000000", legend: "legend.responsible"},
    related: {background: "#ffc107", border: "#a07800", font: "#000000", legend: "legend.related"},
    watch: {background: "#ab47bc", border: "#6a1b7a", font: "#ffffff", legend: "legend.watch"},
    red_list: {background: "#43a047", border: "#1b5e20", font: "#ffffff", legend: "legend.red_list"},
    enterprise: {background: "#bbdefb", border: "#1e88e5", font: "#000000", legend: "legend.enterprise"},
    person: {background: "#eeeeee", border: "#757575", font: "#000000", legend: "legend.person"},
    more: {background: "#ffffff", border: "#9e9e9e", font: "#616161", legend: "legend.more"}
  };
  CG.EDGE_COLOUR = "#607d8b";
  CG.ENDED_EDGE_COLOUR = "#b0b0b0";
  CG.EVIDENCE_COLOUR = "#d500f9";
  CG.VERDICT_COLOUR = {reject: "#e53935", review: "#fb8c00", pass: "#43a047"};

  /** The most serious thing a node's flags say (viz.style.node_category). */
  CG.category = function (node) {
    var flags = node.flags || [];
    var has = function (test) { return flags.some(test); };
    if (has(function (f) { return f.flag === "listed" && CG.SEVERE.indexOf(f.list) >= 0; })) { return "severe"; }
    if (has(function (f) { return f.flag === "responsible_person"; })) { return "responsible"; }
    if (has(function (f) { return f.flag === "related_enterprise"; })) { return "related"; }
    if (has(function (f) { return f.flag === "listed" && f.list !== "red"; })) { return "watch"; }
    if (has(function (f) { return f.flag === "listed"; })) { return "red_list"; }
    return node.type === "person" ? "person" : "enterprise";
  };
})();
