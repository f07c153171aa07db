/* credgraph explorer: search by name, pinyin, USCC or person id ("#/?q=…"). Hits carry
 * badges for their flags and what tells look-alikes apart; "more" fetches the next page. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var current = {q: null, cursor: null, shown: 0, limit: null};

  function badge(className, text, title) {
    var b = CG.el("span", "badge" + (className ? " " + className : ""), text);
    if (title) { b.title = title; }
    return b;
  }

  /** Region, status, legal representative (firms) or id suffix and firms (persons). */
  function facts(item) {
    var bits = [];
    if (item.type === "person") {
      if (item.id_suffix) { bits.push(CG.t("search.id_suffix", {suffix: item.id_suffix})); }
      if ((item.firms || []).length) { bits.push(CG.t("search.firms", {firms: item.firms.join("、")})); }
    } else {
      if (item.region) { bits.push(item.region); }
      if (item.status) { bits.push(CG.term("status", item.status)); }
      if (item.legal_representative) { bits.push(CG.t("search.legal_rep", {name: item.legal_representative})); }
    }
    return bits.join(" · ");
  }

  function hitLink(item) {
    var a = CG.el("a");
    a.href = "#/entity/" + CG.encode(item.id);
    var head = CG.el("div", "hit-head");
    head.appendChild(CG.el("span", "name", item.name || item.id));
    head.appendChild(CG.el("span", "mono", item.id));
    head.appendChild(badge("", CG.term("type", item.type)));
    (item.flags || []).forEach(function (flag) {
      var text = flag.flag === "listed" ? CG.term("list", flag.list)
        : CG.term("flag", flag.flag) + " · " + CG.term("list", flag.list);
      head.appendChild(badge(CG.category({flags: [flag]}) + " flag-badge", text,
                             CG.t("search.badge_title", {entry: flag.entry_id, rule: flag.rule})));
    });
    a.appendChild(head);
    var line = facts(item);
    if (line) { a.appendChild(CG.el("div", "hit-facts", line)); }
    return a;
  }

  function showPage(body, append) {
    var items = body.results || [];
    current.cursor = body.next_cursor || null;
    current.shown = (append ? current.shown : 0) + items.length;
    if (!append) { $("search-results").textContent = ""; }
    items.forEach(function (item) {
      var li = CG.el("li");
      li.setAttribute("data-id", item.id);
      li.appendChild(hitLink(item));
      $("search-results").appendChild(li);
    });
    $("search-status").textContent = current.shown ? CG.t("search.count", {n: current.shown, q: current.q})
      : CG.t("search.none", {q: current.q});
    $("search-more").hidden = !current.cursor;
  }

  function fetchPage(append) {
    var params = {q: current.q, limit: current.limit, cursor: append ? current.cursor : null};
    $("search-more").disabled = true;
    return CG.api("/search" + CG.query(params)).then(function (body) { showPage(body, append); })
      .catch(function (err) { $("search-status").textContent = CG.t("search.failed", {error: err.message}); })
      .then(function () { $("search-more").disabled = false; });
  }

  function runSearch(q, limit) {
    current = {q: q, cursor: null, shown: 0, limit: limit || null};
    $("search-status").textContent = CG.t("search.searching");
    $("search-results").textContent = "";
    $("search-more").hidden = true;
    return fetchPage(false);
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
      $("search-more").addEventListener("click", function () { fetchPage(true); });
    },
    open: function (params) {
      var q = params.get("q");
      if (q) { $("search-input").value = q; runSearch(q, params.get("limit")); }
      $("search-input").focus();
    }
  });
})();
