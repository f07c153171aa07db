/* credgraph explorer: bidder screening ("#/screening"): verdicts, reasons and the links
 * between bidders, drawn as a small map. */
(function () {
  "use strict";

  var CG = window.CG;
  var $ = CG.$;
  var state = CG.state;

  function runScreening(usccs, scenario) {
    $("screening-status").textContent = CG.t("screening.running", {n: usccs.length});
    $("screening-results").hidden = true;
    CG.api("/screenings", {method: "POST", body: {bidders: usccs, scenario: scenario}})
      .then(renderScreening)
      .catch(function (err) { $("screening-status").textContent = CG.t("screening.failed", {error: err.message}); });
  }

  function reasonText(r) {
    var bits = [r.code];
    if (r.list) { bits.push(r.list); }
    if (r.entry_id) { bits.push(CG.t("screening.entry", {entry: r.entry_id})); }
    if (r.rule) { bits.push(CG.t("screening.rule", {rule: r.rule})); }
    if (r.citation) { bits.push(r.citation); }
    if (r.detail) { bits.push(r.detail); }
    return bits.join(" · ");
  }

  function verdictRow(b) {
    var tr = CG.el("tr");
    tr.setAttribute("data-uscc", b.uscc);
    var who = CG.el("td", "mono");
    if (b.verdict === "invalid" || b.verdict === "unknown") {
      who.textContent = b.uscc;
    } else {
      var a = CG.el("a", "", b.uscc);
      a.href = "#/entity/" + CG.encode(b.uscc);
      who.appendChild(a);
    }
    var reasons = CG.el("td");
    var ul = CG.el("ul");
    (b.reasons || []).forEach(function (r) { ul.appendChild(CG.el("li", "", reasonText(r))); });
    if (!(b.reasons || []).length) { reasons.textContent = "—"; } else { reasons.appendChild(ul); }
    tr.appendChild(who);
    tr.appendChild(CG.el("td", "verdict " + b.verdict, b.verdict));
    tr.appendChild(reasons);
    return tr;
  }

  function linkItem(l) {
    var li = CG.el("li");
    li.appendChild(CG.el("span", "kind", l.kind));
    li.appendChild(document.createTextNode(" " + l.a + " ↔ " + l.b +
      (l.pct !== null && l.pct !== undefined ? " · " + l.pct + "%" : "") +
      (l.detail ? " · " + l.detail : "") + " · " + CG.t("screening.path", {path: l.path.join(" → ")}) +
      (l.relations && l.relations.length ? " (" + l.relations.join(", ") + ")" : "")));
    return li;
  }

  function renderScreening(result) {
    var counts = {};
    result.bidders.forEach(function (b) { counts[b.verdict] = (counts[b.verdict] || 0) + 1; });
    $("screening-status").textContent = CG.t("screening.summary", {
      scenario: result.scenario, day: result.as_of,
      counts: Object.keys(counts).map(function (k) { return counts[k] + " " + k; }).join(", "),
      links: result.links.length
    });
    var body = document.querySelector("#verdicts tbody");
    body.textContent = "";
    result.bidders.forEach(function (b) { body.appendChild(verdictRow(b)); });
    var list = $("links-list");
    list.textContent = "";
    result.links.forEach(function (l) { list.appendChild(linkItem(l)); });
    if (!result.links.length) { list.appendChild(CG.el("li", "", CG.t("screening.no_links"))); }
    $("screening-results").hidden = false;
    drawLinks(result);
    nameBidders(result);
  }

  function nameBidders(result) {
    // The screening answer carries USCCs only; officers read names.
    result.bidders.filter(function (b) { return b.verdict !== "invalid" && b.verdict !== "unknown"; })
      .forEach(function (b) {
        CG.api("/entities/" + CG.encode(b.uscc)).then(function (entity) {
          var cell = document.querySelector('#verdicts tr[data-uscc="' + CSS.escape(b.uscc) + '"] td');
          if (cell) { cell.insertBefore(CG.el("span", "bidder-name", entity.name), cell.firstChild); }
          if (state.links) {
            state.linkNodes.update({id: b.uscc, label: entity.name + "\n" + b.uscc + "\n" + b.verdict});
          }
        }).catch(function () { /* the USCC alone still identifies the bidder */ });
      });
  }

  function drawLinks(result) {
    if (state.links) { state.links.destroy(); }
    var nodes = result.bidders.filter(function (b) { return b.verdict !== "invalid"; }).map(function (b) {
      var colour = CG.VERDICT_COLOUR[b.verdict] || "#b0bec5";
      return {id: b.uscc, label: b.uscc + "\n" + b.verdict, shape: "box", title: b.uscc + ": " + b.verdict,
              color: {background: colour, border: "#37474f"},
              font: {color: b.verdict === "reject" ? "#fff" : "#000", face: CG.FONT}};
    });
    var edges = result.links.map(function (l, i) {
      return {id: "link" + i, from: l.a, to: l.b, arrows: l.kind === "ownership" ? "to" : "",
              label: l.kind + (l.pct !== null && l.pct !== undefined ? " " + l.pct + "%" : ""),
              title: l.kind + "\n" + l.path.join(" → ") + (l.detail ? "\n" + l.detail : ""),
              dashes: l.kind === "shared_contact", color: "#455a64", font: {face: CG.FONT, size: 11}};
    });
    state.linkNodes = new vis.DataSet(nodes);
    state.links = new vis.Network($("links-map"), {nodes: state.linkNodes, edges: new vis.DataSet(edges)}, {
      edges: {smooth: {enabled: true, type: "dynamic"}},
      physics: {stabilization: {iterations: 200}, barnesHut: {springLength: 220}},
      interaction: {hover: true}
    });
    state.links.once("stabilizationIterationsDone", function () { state.links.setOptions({physics: false}); });
    $("links-map").setAttribute("data-link-count", String(edges.length));
  }

  CG.router.register({
    name: "screening",
    route: "/screening",
    nav: "nav.screening",
    init: function () {
      $("screening-form").addEventListener("submit", function (event) {
        event.preventDefault();
        var usccs = $("screening-input").value.split(/[\s,;]+/).map(function (s) { return s.trim(); })
          .filter(function (s) { return s.length; });
        runScreening(usccs, $("screening-scenario").value);
      });
    }
  });
})();
