/* credgraph explorer: the printable credit report at a shareable address
 * ("#/report/<id>?as_of=…"). The page is fetched with the key header and shown in a
 * sandboxed frame: no blob: link, and the key never lands in a URL. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;

  function openReport(id, asOf) {
    var frame = $("report-frame");
    $("report-status").textContent = CG.t("report.loading");
    frame.removeAttribute("data-loaded");
    var url = "/entities/" + CG.encode(id) + "/report.html" + CG.query({as_of: asOf, lang: CG.i18n.lang});
    fetch(url, {headers: {"X-API-Key": CG.apiKey() || "", "Accept-Language": CG.i18n.lang}})
      .then(function (response) {
        if (!response.ok) { throw new CG.ApiError(response.status, response.statusText); }
        return response.text();
      })
      .then(function (html) {
        frame.srcdoc = html;  // the report has no script; the sandbox allows none
        frame.setAttribute("data-loaded", "true");
        $("report-status").textContent = "";
        $("report-entity").href = "#/entity/" + CG.encode(id);
      })
      .catch(function (err) { $("report-status").textContent = CG.t("report.failed", {error: err.message}); });
  }

  CG.router.register({
    name: "report",
    route: "/report/",
    template:
      '<div class="entity-head"><h1 data-i18n="report.title"></h1><span class="spacer"></span>' +
      '<a id="report-entity" data-i18n="report.back"></a>' +
      '<button id="report-print" type="button" data-i18n="report.print"></button></div>' +
      '<p id="report-status" class="status" role="status"></p>' +
      '<iframe id="report-frame" class="report-frame" sandbox="allow-same-origin allow-modals" ' +
      'title="report"></iframe>',
    init: function () {
      $("report-print").addEventListener("click", function () { $("report-frame").contentWindow.print(); });
    },
    open: function (params) { openReport(params.rest, params.get("as_of")); }
  });
})();
