/* credgraph explorer: an entity's dated timeline ("#/history/<id>", DESIGN §10) (the
 * entity page links to it). Oldest first: listings, removals with their
 * reason, objections, roles started and ended, flags gained and lost, verdict changes. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var KIND = "timeline.";  // timeline.<kind> in the catalog

  function details(item) {
    var parts = [];
    if (item.list) { parts.push(CG.term("list", item.list)); }
    if (item.entry_id) { parts.push(CG.t("timeline.entry", {entry: item.entry_id})); }
    if (item.role) {
      var role = CG.term("role", item.role) + (item.title ? "（" + CG.term("title", item.title) + "）" : "") +
        (item.share_pct ? " " + item.share_pct + "%" : "");
      parts.push(CG.t(item.direction === "out" ? "timeline.role_out" : "timeline.role_in",
        {role: role, other: item.other_name || item.other_id}));
    }
    if (item.flag) {
      parts.push(CG.term("flag", item.flag) + " · " + CG.t("timeline.rule", {rule: item.rule}));
    }
    if (item.reason) { parts.push(CG.term("removal", item.reason)); }
    if (item.upheld === true || item.upheld === false) {
      parts.push(item.upheld ? CG.t("objection.upheld") : CG.t("objection.rejected"));
    }
    if (item.kind === "verdict_changed" && item.detail) {
      parts.push(CG.t("changes.verdict", {from: CG.term("verdict", item.detail.from),
                                          to: CG.term("verdict", item.detail.to)}));
    }
    if (item.kind === "entry_changed" && item.detail) {
      parts.push(CG.t("timeline.changed", {fields: Object.keys(item.detail).join(", ")}));
    }
    return parts.join(" · ");
  }

  function row(item) {
    var tr = CG.el("tr", "timeline-" + item.kind);
    tr.appendChild(CG.el("td", "mono", item.on || "—"));
    tr.appendChild(CG.el("td", "", CG.t(KIND + item.kind)));
    var cell = CG.el("td", "", details(item));
    if (item.path && item.path.length) {
      cell.appendChild(CG.el("div", "path", CG.t("flag.path", {path: item.path.join(" → ")})));
    }
    tr.appendChild(cell);
    tr.appendChild(CG.el("td", "hint", item.seq ? CG.t("timeline.feed", {seq: item.seq}) : CG.t("timeline.data")));
    return tr;
  }

  function openHistory(id) {
    var body = $("history-table").querySelector("tbody");
    body.textContent = "";
    $("history-name").textContent = CG.t("entity.loading");
    $("history-status").textContent = "";
    $("history-back").href = "#/entity/" + CG.encode(id);
    CG.api("/entities/" + CG.encode(id) + "/history").then(function (h) {
      $("history-name").textContent = CG.t("timeline.title", {name: h.name});
      $("history-status").textContent = CG.t(h.monitored_since ? "timeline.since" : "timeline.data_only",
        {n: h.items.length, day: h.monitored_since, until: h.until});
      h.items.forEach(function (item) { body.appendChild(row(item)); });
      $("history-table").setAttribute("data-items", String(h.items.length));
    }).catch(function (err) {
      $("history-name").textContent = CG.t("entity.failed", {id: id});
      $("history-status").textContent = err.message;
    });
  }

  CG.router.register({
    name: "history",
    route: "/history/",
    template:
      "<div class='entity-head'><h1 id='history-name'></h1><span class='spacer'></span>" +
      "<a id='history-back' data-i18n='timeline.back'></a></div>" +
      "<p id='history-status' class='status' role='status'></p>" +
      "<table id='history-table' class='verdicts'><thead><tr>" +
      "<th data-i18n='timeline.on'></th><th data-i18n='timeline.what'></th>" +
      "<th data-i18n='timeline.details'></th><th data-i18n='timeline.source'></th>" +
      "</tr></thead><tbody></tbody></table>",
    open: function (params) { openHistory(params.rest); }
  });
})();
