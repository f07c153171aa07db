/* credgraph explorer: language. One catalog (messages.js, CG.MESSAGES: key -> {zh, en}),
 * zh-CN by default, English on request (the switch in the top bar, kept in localStorage).
 *
 *   CG.t("search.count", {n: 3, q: "华盛"})   -> "“华盛”：3 条结果"
 *   <button data-i18n="search.button">        -> textContent from the catalog
 *   data-i18n-placeholder / -title / -aria-label set those attributes.
 */
(function () {
  "use strict";

  var CG = window.CG;
  var LANG_STORAGE = "credgraph.lang";
  var LANGS = ["zh", "en"];
  var DEFAULT = "zh";

  function stored() {
    try { return localStorage.getItem(LANG_STORAGE); } catch (e) { return null; }
  }

  var i18n = CG.i18n = {
    langs: LANGS,
    lang: LANGS.indexOf(stored()) >= 0 ? stored() : DEFAULT,
    listeners: []
  };

  /** The message `key` in the current language with {name} placeholders filled. */
  CG.t = function (key, params) {
    var entry = CG.MESSAGES[key];
    var text = entry ? (entry[i18n.lang] || entry.en || key) : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : all;
    });
  };

  /** The catalog's term for a code (e.g. "list.dishonest_debtor"), or the code itself. */
  CG.term = function (prefix, code) {
    if (code === undefined || code === null || code === "") { return ""; }
    return CG.MESSAGES[prefix + "." + code] ? CG.t(prefix + "." + code) : String(code);
  };

  var ATTRIBUTES = ["placeholder", "title", "aria-label"];

  /** Fill every data-i18n* element under `root` from the catalog. */
  i18n.translate = function (root) {
    (root || document).querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = CG.t(node.getAttribute("data-i18n"));
    });
    ATTRIBUTES.forEach(function (attr) {
      (root || document).querySelectorAll("[data-i18n-" + attr + "]").forEach(function (node) {
        node.setAttribute(attr, CG.t(node.getAttribute("data-i18n-" + attr)));
      });
    });
  };

  /** Switch language, remember it, re-translate the page and tell the views. */
  i18n.setLang = function (lang) {
    if (LANGS.indexOf(lang) < 0) { return; }
    i18n.lang = lang;
    try { localStorage.setItem(LANG_STORAGE, lang); } catch (e) { /* private mode: this tab only */ }
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    i18n.translate(document);
    i18n.listeners.forEach(function (listener) { listener(lang); });
  };

  /** Call `listener(lang)` after each language switch. */
  i18n.onChange = function (listener) { i18n.listeners.push(listener); };
})();
