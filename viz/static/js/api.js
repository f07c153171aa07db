/* credgraph explorer: the HTTP API (DESIGN §7) with the key from sessionStorage. */
(function () {
  "use strict";

  var CG = window.CG;
  var KEY_STORAGE = "credgraph.apiKey";

  function ApiError(status, message) { this.status = status; this.message = message; }

  CG.ApiError = ApiError;

  CG.apiKey = function () { return sessionStorage.getItem(KEY_STORAGE); };
  CG.setApiKey = function (key) { sessionStorage.setItem(KEY_STORAGE, key); };
  CG.forgetApiKey = function () { sessionStorage.removeItem(KEY_STORAGE); };

  /** A query string from an object, skipping empty values; arrays repeat the key. */
  CG.query = function (params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      (Array.isArray(v) ? v : [v]).forEach(function (x) {
        if (x !== undefined && x !== null && x !== "") { q.append(k, String(x)); }
      });
    });
    var text = q.toString();
    return text ? "?" + text : "";
  };

  /** The names of the ids in a result that carries none (paths, ownership): fetched
   * one entity at a time, at most `limit` of them. Resolves to {id: name}. */
  CG.namesOf = function (ids, known, limit) {
    var names = Object.assign({}, known || {});
    var missing = ids.filter(function (id, i) { return !names[id] && ids.indexOf(id) === i; }).slice(0, limit || 30);
    return Promise.all(missing.map(function (id) {
      return CG.api("/entities/" + CG.encode(id)).then(function (e) { names[id] = e.name; })
        .catch(function () { names[id] = id; });
    })).then(function () { return names; });
  };

  /** GET (or options.method with a JSON options.body) `path`; resolves to the JSON body. */
  CG.api = function (path, options) {
    options = options || {};
    var headers = {"X-API-Key": CG.apiKey() || "", "Accept": "application/json",
                   "Accept-Language": CG.i18n.lang === "en" ? "en" : "zh-CN"};
    if (options.body) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {method: options.method || "GET", headers: headers,
                        body: options.body ? JSON.stringify(options.body) : undefined})
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        var body = type.indexOf("json") >= 0 ? response.json() : response.text();
        return body.then(function (data) {
          if (response.ok) { return data; }
          if (response.status === 401) {
            CG.forgetApiKey();
            CG.router.showKeyView(CG.t("key.refused"));
          }
          var detail = data && (data.detail || data.title) ? (data.detail || data.title) : response.statusText;
          throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
        });
      });
  };
})();
