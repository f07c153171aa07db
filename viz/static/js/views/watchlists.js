/* credgraph explorer: watchlists ("#/watchlists", DESIGN §10) and the "watch" button of
 * the entity page. Each list shows its changes since the last visit: the cursor of the
 * last change seen is kept per list in localStorage ("mark as read" moves it), so the
 * unread count is what GET /changes returns after it. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var SEEN = "credgraph.seen.";
  var PAGE = 200;
  var CHANGE = "change.";  // change.<kind> and objection.<status> in the catalog
  var OBJECTION = "objection.";

  function seen(name) {
    try { return localStorage.getItem(SEEN + name); } catch (e) { return null; }
  }

  function markSeen(name, cursor) {
    try { localStorage.setItem(SEEN + name, cursor); } catch (e) { /* private mode */ }
  }

  /** Changes of a list after the last one seen (resolves to the /changes page). */
  function unread(name, limit) {
    var query = "watchlist=" + encodeURIComponent(name) + "&limit=" + (limit || PAGE);
    var cursor = seen(name);
    return CG.api("/changes?" + query + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
  }

  function entityLink(id) {
    var a = CG.el("a", "mono", id);
    a.href = "#/entity/" + CG.encode(id);
    return a;
  }

  /** One change in words: what happened, to what, why. */
  CG.changeText = function (e) {
    var d = e.detail || {};
    var kind = CG.t(CHANGE + e.kind);
    if (e.kind === "flag_added" || e.kind === "flag_removed") {
      return kind + " · " + CG.term("flag", e.flag) + " · " + CG.term("list", d.list) + " · " +
        CG.t("changes.entry_rule", {entry: e.entry_id, rule: d.rule});
    }
    if (e.kind === "verdict_changed") {
      return kind + " · " + CG.t("changes.verdict", {from: CG.term("verdict", d.from), to: CG.term("verdict", d.to)});
    }
    if (e.kind === "relation_added" || e.kind === "relation_ended") {
      return kind + " · " + CG.term("role", d.role) + " · " + (d.source_id || "") +
        (d.end_on ? " · " + CG.t("changes.until", {day: d.end_on}) : "");
    }
    var text = kind + " · " + CG.term("list", d.list) + " · " + (e.entry_id || "");
    if (d.removal_reason) { text += " · " + CG.term("removal", d.removal_reason); }
    if (d.objection && d.objection.status) { text += " · " + CG.t(OBJECTION + d.objection.status); }
    return text;
  };

  function changeRow(e) {
    var tr = CG.el("tr", "change change-" + e.kind);
    tr.appendChild(CG.el("td", "mono", String(e.seq)));
    tr.appendChild(CG.el("td", "", (e.recorded_at || "").slice(0, 16).replace("T", " ")));
    tr.appendChild(CG.el("td", "", e.as_of || ""));
    var subject = CG.el("td");
    subject.appendChild(entityLink(e.subject_id));
    tr.appendChild(subject);
    tr.appendChild(CG.el("td", "", CG.changeText(e)));
    return tr;
  }

  function showList(name) {
    $("watch-title").textContent = name;
    $("watch-detail").hidden = false;
    $("watch-changes").querySelector("tbody").textContent = "";
    $("watch-status").textContent = CG.t("entity.loading");
    var page = null;
    return unread(name).then(function (body) {
      page = body;
      var rows = $("watch-changes").querySelector("tbody");
      body.events.forEach(function (e) { rows.appendChild(changeRow(e)); });
      $("watch-status").textContent = body.events.length
        ? CG.t(body.has_more ? "watch.unread_more" : "watch.unread", {n: body.events.length})
        : CG.t("watch.none");
      $("watch-read").hidden = !body.events.length;
      $("watch-read").onclick = function () {
        markSeen(name, page.next_cursor);
        loadLists().then(function () { return showList(name); });
      };
      return CG.api("/watchlists/" + encodeURIComponent(name) + "?limit=500");
    }).then(function (list) {
      var ids = $("watch-ids");
      ids.textContent = "";
      list.ids.forEach(function (id) {
        var li = CG.el("li");
        li.appendChild(entityLink(id));
        ids.appendChild(li);
      });
      $("watch-size").textContent = CG.t("watch.size", {n: list.size});
    }).catch(function (err) { $("watch-status").textContent = err.message; });
  }

  function listItem(w) {
    var li = CG.el("li");
    var a = CG.el("a", "", w.name);
    a.href = "#/watchlists?name=" + encodeURIComponent(w.name);
    li.appendChild(a);
    li.appendChild(CG.el("span", "badge", CG.t("watch.size", {n: w.size})));
    var badge = CG.el("span", "badge unread", "…");
    badge.setAttribute("data-watchlist", w.name);
    li.appendChild(badge);
    unread(w.name, 1000).then(function (body) {
      var n = body.events.length;
      badge.textContent = CG.t("watch.unread_badge", {n: n + (body.has_more ? "+" : "")});
      badge.classList.toggle("none", n === 0);
    }).catch(function () { badge.textContent = "?"; });
    return li;
  }

  function loadLists() {
    var ul = $("watchlist-list");
    return CG.api("/watchlists").then(function (lists) {
      ul.textContent = "";
      if (!lists.length) { ul.appendChild(CG.el("li", "", CG.t("watch.no_lists"))); }
      lists.forEach(function (w) { ul.appendChild(listItem(w)); });
      return lists;
    }).catch(function (err) { ul.textContent = err.message; return []; });
  }

  // -- the entity page's "watch" button --------------------------------------------
  function addToList(name, id) {
    var path = "/watchlists/" + encodeURIComponent(name);
    return CG.api(path, {method: "POST", body: {ids: [id]}}).catch(function (err) {
      if (err.status !== 404) { throw err; }
      return CG.api("/watchlists", {method: "POST", body: {name: name, ids: [id]}});
    });
  }

  function wireWatchButton() {
    var head = document.querySelector("#entity-view .entity-head");
    var form = CG.el("form", "watch-form");
    form.id = "watch-form";
    form.hidden = true;
    var input = CG.el("input");
    input.id = "watch-name";
    input.setAttribute("list", "watch-names");
    input.required = true;
    input.setAttribute("data-i18n-placeholder", "watch.name_placeholder");
    var names = CG.el("datalist");
    names.id = "watch-names";
    var ok = CG.el("button");
    ok.type = "submit";
    ok.setAttribute("data-i18n", "watch.add");
    var status = CG.el("span", "status");
    status.id = "watch-form-status";
    [input, names, ok, status].forEach(function (n) { form.appendChild(n); });
    var button = CG.el("button");
    button.id = "watch-button";
    button.type = "button";
    button.setAttribute("data-i18n", "watch.button");
    document.querySelector("#entity-view .actions").insertBefore(button, $("report-link"));
    head.parentNode.insertBefore(form, head.nextSibling);
    button.addEventListener("click", function () {
      form.hidden = !form.hidden;
      status.textContent = "";
      if (!form.hidden) {
        CG.api("/watchlists").then(function (lists) {
          names.textContent = "";
          lists.forEach(function (w) { var o = CG.el("option"); o.value = w.name; names.appendChild(o); });
          if (!input.value && lists.length) { input.value = lists[0].name; }
        }).catch(function () { return null; });
        input.focus();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = input.value.trim();
      if (!name || !CG.state.entity) { return; }
      addToList(name, CG.state.entity).then(function (report) {
        status.textContent = report.added ? CG.t("watch.added", {name: name})
          : CG.t("watch.already", {name: name});
      }).catch(function (err) { status.textContent = CG.t("watch.failed", {error: err.message}); });
    });
    window.addEventListener("hashchange", function () { form.hidden = true; });
  }

  CG.router.register({
    name: "watchlists",
    route: "/watchlists",
    nav: "nav.watchlists",
    template:
      "<h1 data-i18n='watch.title'></h1>" +
      "<p class='hint' data-i18n='watch.intro'></p>" +
      "<ul id='watchlist-list' class='results'></ul>" +
      "<div id='watch-detail' hidden>" +
      "  <h2 id='watch-title'></h2>" +
      "  <p><span id='watch-status' class='status' role='status'></span> " +
      "     <button id='watch-read' type='button' data-i18n='watch.mark_read' hidden></button></p>" +
      "  <table id='watch-changes' class='verdicts'><thead><tr>" +
      "    <th data-i18n='changes.seq'></th><th data-i18n='changes.recorded'></th>" +
      "    <th data-i18n='changes.as_of'></th><th data-i18n='changes.subject'></th>" +
      "    <th data-i18n='changes.what'></th></tr></thead><tbody></tbody></table>" +
      "  <h2 data-i18n='watch.members'></h2><p id='watch-size' class='hint'></p>" +
      "  <ul id='watch-ids' class='results compact'></ul>" +
      "</div>",
    init: function () { wireWatchButton(); },
    open: function (params) {
      $("watch-detail").hidden = true;
      loadLists().then(function (lists) {
        var name = params.get("name") || (lists.length === 1 ? lists[0].name : null);
        if (name) { showList(name); }
      });
    }
  });
})();
