/* credgraph explorer: bidder screening ("#/screening", DESIGN §6). A bidder file (CSV or
 * XLSX: column uscc, optional name and lot) is uploaded, or pasted rows are sent as one;
 * each lot shows its verdicts with the explanation of every reason, the link map (drawn
 * by the server: bidders on a ring, no two boxes overlapping) and the links by name.
 * "Download XLSX" asks the same screening as a workbook; "Print" prints the page.
 */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  var last = null;  // {form: FormData, result} of the last screening
  var mapUrls = [];

  /** POST `body` (FormData or an object sent as JSON) to /screenings; resolves to the
   * JSON answer, or to a Blob when `accept` asks for a file. */
  function post(body, accept) {
    var headers = {"X-API-Key": CG.apiKey() || "", "Accept": accept};
    var payload = body;
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    return fetch("/screenings?lang=" + CG.i18n.lang, {method: "POST", headers: headers, body: payload})
      .then(function (response) {
        if (response.ok) { return accept === "application/json" ? response.json() : response.blob(); }
        if (response.status === 401) {
          CG.forgetApiKey();
          CG.router.showKeyView(CG.t("key.refused"));
        }
        return response.json().catch(function () { return {}; }).then(function (problem) {
          throw new CG.ApiError(response.status, problem.detail || problem.title || response.statusText);
        });
      });
  }

  /** The bidders as a file: the chosen file, or the pasted rows as CSV. */
  function bidderForm() {
    var form = new FormData();
    var file = $("screening-file").files[0];
    if (file) {
      form.append("file", file, file.name);
    } else {
      var text = $("screening-input").value.replace(/\t/g, ",").trim();
      var first = text.split(/\r?\n/)[0].toLowerCase();
      if (first.indexOf("uscc") < 0 && first.indexOf("统一社会信用代码") < 0) {
        text = "uscc,name,lot\n" + text;
      }
      form.append("file", new Blob([text + "\n"], {type: "text/csv"}), "bidders.csv");
    }
    form.append("scenario", $("screening-scenario").value);
    return form;
  }

  function run() {
    var form = bidderForm();
    $("screening-status").textContent = CG.t("screening.running");
    $("screening-results").hidden = true;
    post(form, "application/json").then(function (result) {
      last = {form: form, result: result};
      render(result);
    }).catch(function (err) {
      $("screening-status").textContent = CG.t("screening.failed", {error: err.message});
    });
  }

  function verdictRow(b) {
    var tr = CG.el("tr");
    tr.setAttribute("data-uscc", b.uscc);
    tr.setAttribute("data-verdict", b.verdict);
    var who = CG.el("td");
    if (b.name) { who.appendChild(CG.el("span", "bidder-name", b.name)); }
    if (b.verdict === "invalid" || b.verdict === "unknown" || !b.uscc) {
      who.appendChild(CG.el("span", "uscc", b.uscc || CG.t("screening.line", {line: b.line})));
    } else {
      var a = CG.el("a", "uscc", b.uscc);
      a.href = "#/entity/" + CG.encode(b.uscc);
      who.appendChild(a);
    }
    var reasons = CG.el("td", "reasons");
    var list = CG.el("ol");
    (b.reasons || []).forEach(function (r) {
      var li = CG.el("li", "", r.explanation || r.detail || r.code);
      li.setAttribute("data-code", r.code);
      // hover: the reason's name and each citation with its quoted clause
      li.title = [r.label || r.code].concat((r.clauses || []).map(function (c) {
        return c.citation + (c.text ? "：" + c.text : "");
      })).join("\n");
      list.appendChild(li);
    });
    if ((b.reasons || []).length) { reasons.appendChild(list); } else { reasons.textContent = "—"; }
    tr.appendChild(who);
    var verdict = CG.el("td", "verdict " + b.verdict, b.verdict_label || CG.term("verdict", b.verdict));
    verdict.setAttribute("data-verdict", b.verdict);
    tr.appendChild(verdict);
    tr.appendChild(reasons);
    return tr;
  }

  function linkItem(x) {
    var li = CG.el("li");
    li.setAttribute("data-rule", x.rule || "");
    li.appendChild(CG.el("span", "rule " + (x.rule || ""), CG.term("linkrule", x.rule)));
    var names = x.names && x.names.length ? x.names : x.path;
    li.appendChild(document.createTextNode(names[0] + " ↔ " + names[names.length - 1] + " — " +
      (x.explanation || x.detail || x.kind)));
    return li;
  }

  function lotSection(lot, scenario, asOf) {
    var section = CG.el("section", "screening-lot");
    section.setAttribute("data-lot", lot.lot === null ? "" : lot.lot);
    var counts = {};
    lot.bidders.forEach(function (b) { counts[b.verdict] = (counts[b.verdict] || 0) + 1; });
    var title = lot.lot === null ? CG.t("screening.bidders") : CG.t("screening.lot", {lot: lot.lot});
    section.appendChild(CG.el("h2", "", title));
    section.appendChild(CG.el("p", "status", Object.keys(counts).map(function (k) {
      return CG.term("verdict", k) + " " + counts[k];
    }).join(" · ")));
    var table = CG.el("table", "verdicts");
    var head = CG.el("tr");
    ["screening.bidder", "screening.verdict", "screening.reasons"].forEach(function (key) {
      head.appendChild(CG.el("th", "", CG.t(key)));
    });
    table.appendChild(CG.el("thead")).appendChild(head);
    var body = table.appendChild(CG.el("tbody"));
    lot.bidders.forEach(function (b) { body.appendChild(verdictRow(b)); });
    section.appendChild(table);
    section.appendChild(CG.el("h3", "", CG.t("screening.links")));
    if (!lot.links.length) {
      section.appendChild(CG.el("p", "status", CG.t("screening.no_links")));
      return section;
    }
    var map = section.appendChild(CG.el("div", "link-map"));
    var list = section.appendChild(CG.el("ul", "link-list"));
    lot.links.forEach(function (x) { list.appendChild(linkItem(x)); });
    drawMap(map, lot, scenario, asOf);
    return section;
  }

  /** The lot's link map, drawn by the server, shown as an image (no script can run in it). */
  function drawMap(holder, lot, scenario, asOf) {
    var known = lot.bidders.filter(function (b) {
      return b.verdict !== "invalid" && b.verdict !== "unknown";
    }).map(function (b) { return b.uscc; });
    post({bidders: known, scenario: scenario, as_of: asOf}, "image/svg+xml").then(function (svg) {
      var url = URL.createObjectURL(svg);
      mapUrls.push(url);
      var img = CG.el("img");
      img.alt = CG.t("screening.map_alt", {n: lot.links.length});
      img.addEventListener("load", function () { holder.setAttribute("data-loaded", "true"); });
      img.src = url;
      holder.appendChild(img);
    }).catch(function (err) {
      holder.textContent = CG.t("screening.failed", {error: err.message});
    });
  }

  function render(result) {
    mapUrls.forEach(function (url) { URL.revokeObjectURL(url); });
    mapUrls = [];
    var lots = $("screening-lots");
    lots.textContent = "";
    var bidders = 0;
    result.lots.forEach(function (lot) {
      bidders += lot.bidders.length;
      lots.appendChild(lotSection(lot, result.scenario, result.as_of));
    });
    $("screening-status").textContent = CG.t("screening.summary", {
      scenario: result.scenario_label || CG.term("scenario", result.scenario), day: result.as_of,
      lots: result.lots.length, bidders: bidders
    });
    $("screening-results").hidden = false;
  }

  function download() {
    if (!last) { return; }
    post(last.form, XLSX).then(function (blob) {
      var a = CG.el("a");
      a.href = URL.createObjectURL(blob);
      a.download = "screening-" + last.result.scenario + "-" + last.result.as_of + ".xlsx";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (err) {
      $("screening-status").textContent = CG.t("screening.failed", {error: err.message});
    });
  }

  CG.router.register({
    name: "screening",
    route: "/screening",
    nav: "nav.screening",
    init: function () {
      $("screening-form").addEventListener("submit", function (event) {
        event.preventDefault();
        if (!$("screening-file").files.length && !$("screening-input").value.trim()) {
          $("screening-status").textContent = CG.t("screening.empty");
          return;
        }
        run();
      });
      $("screening-download").addEventListener("click", download);
      $("screening-print").addEventListener("click", function () { window.print(); });
      CG.i18n.onChange(function () { if (last) { run(); } });
    }
  });
})();
