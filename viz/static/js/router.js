/* credgraph explorer: views and hash routing.
 *
 * ADDING A VIEW (a page such as "#/watchlists") takes one new file and one line:
 *
 *   1. viz/static/js/views/<name>.js registers itself:
 *
 *        CG.router.register({
 *          name: "watchlists",          // section id "watchlists-view", nav data-nav
 *          route: "/watchlists",        // "#/watchlists"; a trailing "/" ("/entity/") matches
 *                                       //   a prefix and passes the rest, decoded, as params.rest
 *          nav: "nav.watchlists",       // optional: a top-bar link labelled from the catalog
 *          template: "<h1 data-i18n='watchlists.title'></h1>…",  // optional static markup
 *                                       //   for a section index.html does not already have
 *          init: function (section) {}, // once, at start-up: wire forms and buttons
 *          open: function (params) {}   // each time the route is shown; params is a
 *        });                            //   URLSearchParams of "#/route?a=1" plus .rest
 *
 *   2. index.html loads it: <script src="/static/js/views/<name>.js" defer></script>
 *
 * Its strings go in the one catalog, js/messages.js (a test checks that every key used
 * exists in zh and en). The first registered view with `fallback: true` answers "#/"
 * and unknown routes. Data is written with textContent (CG.el), never as HTML.
 */
(function () {
  "use strict";

  var CG = window.CG;
  var views = [];
  var router = CG.router = {views: views};

  router.register = function (view) { views.push(view); };

  function sections() {
    return ["key-view"].concat(views.map(function (v) { return v.name + "-view"; }));
  }

  /** Show the section `id` (e.g. "search-view") and hide the others. */
  router.show = function (id) {
    sections().forEach(function (v) { var s = CG.$(v); if (s) { s.hidden = v !== id; } });
    CG.$("forget-key").hidden = !CG.apiKey();
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      a.classList.toggle("active", id.indexOf(a.getAttribute("data-nav")) === 0);
    });
  };

  router.showKeyView = function (message) {
    router.show("key-view");
    CG.$("key-error").textContent = message || "";
    CG.$("key-input").focus();
  };

  function match(view, path) {
    if (!view.route) { return null; }
    var prefix = view.route.charAt(view.route.length - 1) === "/" && view.route.length > 1;
    if (prefix && path.indexOf(view.route) === 0) { return decodeURIComponent(path.slice(view.route.length)); }
    return !prefix && path === view.route ? "" : null;
  }

  /** Show the view the location hash names. */
  router.route = function () {
    if (!CG.apiKey()) { router.showKeyView(""); return; }
    var hash = location.hash.replace(/^#/, "") || "/";
    var parts = hash.split("?");
    var params = new URLSearchParams(parts[1] || "");
    var chosen = null;
    views.forEach(function (view) {
      var rest = chosen ? null : match(view, parts[0]);
      if (rest !== null) { chosen = view; params.rest = rest; }
    });
    chosen = chosen || views.filter(function (v) { return v.fallback; })[0];
    router.show(chosen.name + "-view");
    if (chosen.open) { chosen.open(params); }
  };

  function mount(view) {
    var id = view.name + "-view";
    var section = CG.$(id);
    if (!section) {
      section = CG.el("section");
      section.id = id;
      section.hidden = true;
      section.innerHTML = view.template || "";  // static markup from our own file, never data
      document.querySelector("main").appendChild(section);
    }
    if (view.nav && !document.querySelector('[data-nav="' + view.name + '"]')) {
      var link = CG.el("a");
      link.href = "#" + view.route;
      link.setAttribute("data-nav", view.name);
      link.setAttribute("data-i18n", view.nav);
      document.querySelector(".topbar nav").appendChild(link);
    }
    if (view.init) { view.init(section); }
  }

  function wireKey() {
    CG.$("key-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = CG.$("key-input").value.trim();
      if (!key) { return; }
      CG.setApiKey(key);
      CG.$("key-input").value = "";
      router.route();
    });
    CG.$("forget-key").addEventListener("click", function () {
      CG.forgetApiKey();
      router.showKeyView("");
    });
    CG.$("lang-switch").addEventListener("click", function () {
      CG.i18n.setLang(CG.i18n.lang === "zh" ? "en" : "zh");
      if (CG.apiKey()) { router.route(); }  // the open view redraws in the new language
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireKey();
    views.forEach(mount);
    CG.i18n.setLang(CG.i18n.lang);
    window.addEventListener("hashchange", router.route);
    window.credgraphExplorer = CG.state;
    router.route();
  });
})();
