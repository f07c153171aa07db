/* credgraph explorer: the flagged browser ("#/flagged?list=…&rule=…&region=…&from=…&to=…"):
 * who is flagged on a day, by list, rule, region and decision date, newest first. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var LISTS = ["serious_dishonesty", "dishonest_debtor", "serious_illegal", "abnormal_operation", "key_attention", "red"];
  var RULES = ["L0", "P1", "P2", "P3"];
  var current = {params: null, next: null};

  function options(select, codes, kind) {
    select.appendChild(CG.el("option", "", CG.t("flagged.any")));
    select.lastChild.value = "";
    codes.forEach(function (code) {
      var o = CG.el("option", "", kind ? CG.term(kind, code) : code);
      o.value = code;
      select.appendChild(o);
    });
  }

  function subjectItem(s) {
    var li = CG.el("li");
    li.setAttribute("data-id", s.id);
    var a = CG.el("a", "name", s.name);
    a.href = "#/entity/" + CG.encode(s.id);
    li.appendChild(a);
    li.appendChild(CG.el("span", "mono", " " + s.id + " "));
    if (s.region) { li.appendChild(CG.el("span", "badge", s.region)); }
    var ul = CG.el("ul", "flag-lines");
    s.flags.forEach(function (f) {
      var line = CG.el("li", CG.category({flags: [f]}));
      line.appendChild(CG.el("span", "flag-label", (f.label || CG.term("flag", f.flag)) + "："));
      line.appendChild(document.createTextNode(f.explanation || f.entry_id));
      ul.appendChild(line);
    });
    li.appendChild(ul);
    return li;
  }

  function load(append) {
    var p = current.params;
    var query = {list: p.list, rule: p.rule, region: p.region, decided_from: p.from, decided_to: p.to,
                 as_of: p.as_of, offset: append ? current.next : 0, limit: 20};
    $("flagged-status").textContent = CG.t("flagged.loading");
    CG.api("/flagged" + CG.query(query)).then(function (body) {
      if (!append) { $("flagged-list").textContent = ""; }
      body.results.forEach(function (s) { $("flagged-list").appendChild(subjectItem(s)); });
      current.next = body.next_offset;
      $("flagged-more").hidden = body.next_offset === null || body.next_offset === undefined;
      $("flagged-status").textContent = CG.t("flagged.count", {n: body.total, day: body.as_of});
    }).catch(function (err) { $("flagged-status").textContent = CG.t("flagged.failed", {error: err.message}); });
  }

  CG.router.register({
    name: "flagged",
    route: "/flagged",
    nav: "nav.flagged",
    template:
      '<h1 data-i18n="flagged.title"></h1>' +
      '<form id="flagged-form" class="row-form">' +
      '<label><span data-i18n="flagged.list"></span> <select id="flagged-list-kind"></select></label>' +
      '<label><span data-i18n="flagged.rule"></span> <select id="flagged-rule"></select></label>' +
      '<label><span data-i18n="flagged.region"></span> <input id="flagged-region" size="10"></label>' +
      '<label><span data-i18n="flagged.from"></span> <input id="flagged-from" type="date"></label>' +
      '<label><span data-i18n="flagged.to"></span> <input id="flagged-to" type="date"></label>' +
      '<button type="submit" data-i18n="flagged.button"></button></form>' +
      '<p id="flagged-status" class="status" role="status"></p>' +
      '<ul id="flagged-list" class="results flagged"></ul>' +
      '<button id="flagged-more" type="button" class="more" data-i18n="search.more" hidden></button>',
    init: function () {
      options($("flagged-list-kind"), LISTS, "list");
      options($("flagged-rule"), RULES, "rule");
      $("flagged-form").addEventListener("submit", function (event) {
        event.preventDefault();
        location.hash = "#/flagged" + CG.query({list: $("flagged-list-kind").value, rule: $("flagged-rule").value,
                                                region: $("flagged-region").value.trim(),
                                                from: $("flagged-from").value, to: $("flagged-to").value});
      });
      $("flagged-more").addEventListener("click", function () { load(true); });
    },
    open: function (params) {
      current.params = {list: params.get("list"), rule: params.get("rule"), region: params.get("region"),
                        from: params.get("from"), to: params.get("to"), as_of: params.get("as_of")};
      $("flagged-list-kind").value = current.params.list || "";
      $("flagged-rule").value = current.params.rule || "";
      $("flagged-region").value = current.params.region || "";
      $("flagged-from").value = current.params.from || "";
      $("flagged-to").value = current.params.to || "";
      load(false);
    }
  });
})();
