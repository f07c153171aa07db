/* credgraph explorer: search by name, USCC or person id ("#/?q=…"). */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;

  function resultItems(body) {
    if (Array.isArray(body)) { return body; }
    return body.results || body.matches || body.items || body.entities || [];
  }

  function badge(className, text) { return CG.el("span", "badge" + (className ? " " + className : ""), text); }

  function hitLink(item) {
    var id = item.id || item.uscc || item.person_id;
    var a = CG.el("a");
    a.href = "#/entity/" + CG.encode(id);
    a.appendChild(CG.el("span", "name", item.name || id));
    a.appendChild(CG.el("span", "mono", id));
    a.appendChild(badge("", item.type || item.kind || ""));
    if (item.match) { a.appendChild(badge("", CG.t("search.match", {match: item.match}))); }
    (item.flags || []).forEach(function (f) {
      var flag = typeof f === "string" ? {flag: f} : f;
      a.appendChild(badge(CG.category({flags: [flag]}), flag.flag + (flag.list ? " · " + flag.list : "")));
    });
    return a;
  }

  function runSearch(q) {
    $("search-status").textContent = CG.t("search.searching");
    $("search-results").textContent = "";
    CG.api("/search?q=" + encodeURIComponent(q)).then(function (body) {
      var items = resultItems(body);
      $("search-status").textContent = items.length ? CG.t("search.count", {n: items.length, q: q})
        : CG.t("search.none", {q: q});
      items.forEach(function (item) {
        var li = CG.el("li");
        li.appendChild(hitLink(item));
        $("search-results").appendChild(li);
      });
    }).catch(function (err) { $("search-status").textContent = CG.t("search.failed", {error: err.message}); });
  }

  CG.router.register({
    name: "search",
    route: "/",
    fallback: true,
    nav: "nav.search",
    init: function () {
      $("search-form").addEventListener("submit", function (event) {
        event.preventDefault();
        var q = $("search-input").value.trim();
        if (!q) { return; }
        var target = "#/?q=" + encodeURIComponent(q);
        if (location.hash === target) { runSearch(q); } else { location.hash = target; }
      });
    },
    open: function (params) {
      var q = params.get("q");
      if (q) { $("search-input").value = q; runSearch(q); }
      $("search-input").focus();
    }
  });
})();
