/* credgraph explorer: an entity's history ("#/history/<id>"), from
 * GET /entities/{id}/history when the server has it (helper "monitor" builds it);
 * until then the page says so. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;

  function row(item) {
    var li = CG.el("li");
    var when = item.at || item.on || item.day || item.changed_at || "";
    li.appendChild(CG.el("span", "mono", when));
    li.appendChild(document.createTextNode(" " + (item.explanation || item.label || item.kind || item.change || JSON.stringify(item))));
    return li;
  }

  function open(id) {
    var list = $("history-list");
    list.textContent = "";
    $("history-entity").href = "#/entity/" + CG.encode(id);
    $("history-status").textContent = CG.t("history.loading");
    CG.api("/entities/" + CG.encode(id) + "/history").then(function (body) {
      var items = Array.isArray(body) ? body : (body.events || body.changes || body.items || []);
      $("history-status").textContent = items.length ? CG.t("history.count", {n: items.length}) : CG.t("history.none");
      items.forEach(function (item) { list.appendChild(row(item)); });
    }).catch(function (err) {
      $("history-status").textContent = err.status === 404 || err.status === 405
        ? CG.t("history.unavailable") : CG.t("history.failed", {error: err.message});
    });
  }

  CG.router.register({
    name: "history",
    route: "/history/",
    template:
      '<div class="entity-head"><h1 data-i18n="history.title"></h1><span class="spacer"></span>' +
      '<a id="history-entity" data-i18n="report.back"></a></div>' +
      '<p id="history-status" class="status" role="status"></p><ol id="history-list" class="links"></ol>',
    open: function (params) { open(params.rest); }
  });
})();
