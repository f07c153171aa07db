/* credgraph web explorer: search, entity maps with expand and evidence paths, screening.
 *
 * Talks to the HTTP API (DESIGN §7) with the key from sessionStorage. Data is
 * written with textContent only, never as HTML. Colours mirror viz/style.py
 * (a test keeps them in step).
 */
(function () {
  "use strict";

  var KEY_STORAGE = "credgraph.apiKey";
  var SEVERE = ["serious_dishonesty", "dishonest_debtor", "serious_illegal"];
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", ' +
    '"WenQuanYi Micro Hei", "Hiragino Sans GB", "Heiti SC", sans-serif';
  var PALETTE = {
    severe: {background: "#e53935", border: "#8e0000", font: "#ffffff", legend: "listed on a severe list"},
    responsible: {background: "#fb8c00", border: "#a85400", font: "#000000", legend: "responsible person"},
    related: {background: "#ffc107", border: "#a07800", font: "#000000", legend: "related enterprise"},
    watch: {background: "#ab47bc", border: "#6a1b7a", font: "#ffffff", legend: "abnormal operation / key attention"},
    red_list: {background: "#43a047", border: "#1b5e20", font: "#ffffff", legend: "red list (honours)"},
    enterprise: {background: "#bbdefb", border: "#1e88e5", font: "#000000", legend: "enterprise"},
    person: {background: "#eeeeee", border: "#757575", font: "#000000", legend: "person"},
    more: {background: "#ffffff", border: "#9e9e9e", font: "#616161", legend: "more neighbours not shown"}
  };
  var EDGE_COLOUR = "#607d8b";
  var ENDED_EDGE_COLOUR = "#b0b0b0";
  var EVIDENCE_COLOUR = "#d500f9";
  var ROLE_LABEL = {
    legal_representative: "legal rep.", executive: "executive", shareholder: "shareholder",
    actual_controller: "actual controller", branch_of: "branch of"
  };
  var VERDICT_COLOUR = {reject: "#e53935", review: "#fb8c00", pass: "#43a047"};

  var $ = function (id) { return document.getElementById(id); };
  var state = {entity: null, map: null, links: null, flags: [], expanded: {}};

  // ---- API ----------------------------------------------------------------

  function apiKey() { return sessionStorage.getItem(KEY_STORAGE); }

  function ApiError(status, message) { this.status = status; this.message = message; }

  function api(path, options) {
    options = options || {};
    var headers = {"X-API-Key": apiKey() || "", "Accept": "application/json"};
    if (options.body) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {method: options.method || "GET", headers: headers,
                        body: options.body ? JSON.stringify(options.body) : undefined})
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        var body = type.indexOf("json") >= 0 ? response.json() : response.text();
        return body.then(function (data) {
          if (response.ok) { return data; }
          if (response.status === 401) {
            sessionStorage.removeItem(KEY_STORAGE);
            showKeyView("The API key was refused: enter a valid key.");
          }
          var detail = data && (data.detail || data.title) ? (data.detail || data.title) : response.statusText;
          throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
        });
      });
  }

  function encode(id) { return encodeURIComponent(id); }

  // ---- views and routing ---------------------------------------------------

  var VIEWS = ["key-view", "search-view", "entity-view", "screening-view"];

  function show(view) {
    VIEWS.forEach(function (v) { $(v).hidden = v !== view; });
    $("forget-key").hidden = !apiKey();
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      a.classList.toggle("active", view.indexOf(a.getAttribute("data-nav")) === 0);
    });
  }

  function showKeyView(message) {
    show("key-view");
    $("key-error").textContent = message || "";
    $("key-input").focus();
  }

  function route() {
    if (!apiKey()) { showKeyView(""); return; }
    var hash = location.hash.replace(/^#/, "") || "/";
    var parts = hash.split("?");
    var params = new URLSearchParams(parts[1] || "");
    if (parts[0].indexOf("/entity/") === 0) {
      openEntity(decodeURIComponent(parts[0].slice("/entity/".length)));
    } else if (parts[0] === "/screening") {
      show("screening-view");
    } else {
      show("search-view");
      var q = params.get("q");
      if (q) { $("search-input").value = q; runSearch(q); }
      $("search-input").focus();
    }
  }

  // ---- styling (mirrors viz/style.py) --------------------------------------

  function category(node) {
    var flags = node.flags || [];
    var has = function (test) { return flags.some(test); };
    if (has(function (f) { return f.flag === "listed" && SEVERE.indexOf(f.list) >= 0; })) { return "severe"; }
    if (has(function (f) { return f.flag === "responsible_person"; })) { return "responsible"; }
    if (has(function (f) { return f.flag === "related_enterprise"; })) { return "related"; }
    if (has(function (f) { return f.flag === "listed" && f.list !== "red"; })) { return "watch"; }
    if (has(function (f) { return f.flag === "listed"; })) { return "red_list"; }
    return node.type === "person" ? "person" : "enterprise";
  }

  function edgeLabel(edge) {
    var text = edge.role === "executive" && edge.title ? edge.title.replace(/_/g, " ")
      : (ROLE_LABEL[edge.role] || edge.role);
    if (edge.share_pct !== null && edge.share_pct !== undefined) { text += " " + (+edge.share_pct) + "%"; }
    return text;
  }

  function flagLine(f) {
    return "• " + f.flag + " — " + f.list + " entry " + f.entry_id + " (rule " + f.rule + "; " + f.citation + ")";
  }

  function nodeTooltip(node) {
    var lines = [node.name, node.type + " · " + (node.type === "enterprise" ? "USCC " : "person id ") + node.id];
    if ((node.flags || []).length) { lines.push("flags:"); node.flags.forEach(function (f) { lines.push(flagLine(f)); }); }
    if (node.hidden_neighbours) { lines.push("and " + node.hidden_neighbours + " more relations not shown"); }
    return lines.join("\n");
  }

  function visNode(node, center) {
    var cat = category(node);
    var sw = PALETTE[cat];
    return {
      id: node.id, label: node.name, title: nodeTooltip(node),
      shape: node.type === "person" ? "ellipse" : "box",
      color: {background: sw.background, border: sw.border, highlight: {background: sw.background, border: "#000000"}},
      font: {color: sw.font, face: FONT}, borderWidth: node.id === center ? 4 : 1.5,
      borderWidthSelected: node.id === center ? 4 : 2.5,
      baseBorderWidth: node.id === center ? 4 : 1.5, baseBorder: sw.border, category: cat, data: node
    };
  }

  function moreNode(node) {
    var sw = PALETTE.more;
    return {
      id: "more:" + node.id, label: "and " + node.hidden_neighbours + " more", shape: "box",
      color: {background: sw.background, border: sw.border}, font: {color: sw.font, size: 11, face: FONT},
      shapeProperties: {borderDashes: [4, 4]}, category: "more", parent: node.id,
      title: node.name + ": " + node.hidden_neighbours + " more relations not shown (click to expand)"
    };
  }

  function edgeId(e) { return [e.source, e.target, e.role, e.title || "", e.start_on || ""].join("|"); }

  function visEdge(e) {
    return {
      id: edgeId(e), from: e.source, to: e.target, label: edgeLabel(e), arrows: "to",
      title: edgeLabel(e) + "\nfrom " + (e.start_on || "(open)") + " to " + (e.end_on || "(open)") + (e.ended ? "\nended" : ""),
      dashes: !!e.ended, color: e.ended ? ENDED_EDGE_COLOUR : EDGE_COLOUR, width: e.ended ? 1 : 1.5,
      baseColor: e.ended ? ENDED_EDGE_COLOUR : EDGE_COLOUR, baseWidth: e.ended ? 1 : 1.5,
      font: {face: FONT, size: 11, color: "#37474f"}
    };
  }

  function legend(container) {
    container.textContent = "";
    Object.keys(PALETTE).forEach(function (key) {
      var row = document.createElement("div");
      var swatch = document.createElement("i");
      swatch.style.background = PALETTE[key].background;
      swatch.style.borderColor = PALETTE[key].border;
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(PALETTE[key].legend));
      container.appendChild(row);
    });
  }

  function mapOptions() {
    return {
      nodes: {font: {face: FONT, size: 14}},
      edges: {smooth: false, color: {inherit: false}, arrows: {to: {enabled: true, scaleFactor: 0.5}},
              font: {face: FONT, size: 11, align: "middle"}},
      layout: {improvedLayout: false},
      physics: {solver: "barnesHut", stabilization: {iterations: 250, fit: true},
                barnesHut: {gravitationalConstant: -6000, springLength: 160, springConstant: 0.03, avoidOverlap: 0.3}},
      interaction: {hover: true, tooltipDelay: 150}
    };
  }

  // ---- search ----------------------------------------------------------------

  function resultItems(body) {
    if (Array.isArray(body)) { return body; }
    return body.results || body.matches || body.items || body.entities || [];
  }

  function runSearch(q) {
    $("search-status").textContent = "searching…";
    $("search-results").textContent = "";
    api("/search?q=" + encodeURIComponent(q)).then(function (body) {
      var items = resultItems(body);
      $("search-status").textContent = items.length ? items.length + " matches for “" + q + "”" : "no match for “" + q + "”";
      items.forEach(function (item) {
        var id = item.id || item.uscc || item.person_id;
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "#/entity/" + encode(id);
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = item.name || id;
        var ident = document.createElement("span");
        ident.className = "mono";
        ident.textContent = id;
        var kind = document.createElement("span");
        kind.className = "badge";
        kind.textContent = item.type || item.kind || "";
        a.appendChild(name); a.appendChild(ident); a.appendChild(kind);
        if (item.match) {
          var match = document.createElement("span");
          match.className = "badge";
          match.textContent = "match: " + item.match;
          a.appendChild(match);
        }
        (item.flags || []).forEach(function (f) {
          var badge = document.createElement("span");
          var flag = typeof f === "string" ? {flag: f} : f;
          badge.className = "badge " + category({flags: [flag]});
          badge.textContent = flag.flag + (flag.list ? " · " + flag.list : "");
          a.appendChild(badge);
        });
        li.appendChild(a);
        $("search-results").appendChild(li);
      });
    }).catch(function (err) { $("search-status").textContent = "search failed: " + err.message; });
  }

  // ---- entity page: map, expand, evidence paths -------------------------------

  function updateMapStatus() {
    var m = state.map;
    var people = m.nodes.get({filter: function (n) { return n.category !== "more"; }}).length;
    var rels = m.edges.get({filter: function (e) { return !e.placeholder; }}).length;
    $("map-status").textContent = people + " nodes · " + rels + " relations";
    $("entity-map").setAttribute("data-node-count", String(people));
  }

  function positionOf(id) {
    var m = state.map;
    if (!m.network || !id || !m.nodes.get(id)) { return null; }
    return m.network.getPositions([id])[id] || null;
  }

  function addNetwork(net, around) {
    var m = state.map;
    var origin = positionOf(around) || positionOf(state.entity);
    var fresh = net.nodes.filter(function (n) { return !m.nodes.get(n.id); });
    fresh.forEach(function (n, i) {
      var v = visNode(n, state.entity);
      if (origin) {
        // New neighbours on a ring around the expanded node; the map stays frozen.
        var angle = 2 * Math.PI * i / Math.max(fresh.length, 1);
        var r = 160 + 6 * fresh.length;
        v.x = origin.x + r * Math.cos(angle);
        v.y = origin.y + r * Math.sin(angle);
      }
      m.nodes.add(v);
    });
    net.nodes.forEach(function (n) {
      // The expanded node's own count replaces its "and N more"; others keep theirs.
      var isCenter = n.id === net.center;
      var placeholderId = "more:" + n.id;
      if (isCenter && m.nodes.get(placeholderId)) {
        m.nodes.remove(placeholderId);
        m.edges.remove("more|" + n.id);
      }
      if (n.hidden_neighbours > 0 && !m.nodes.get(placeholderId) && (isCenter || fresh.indexOf(n) >= 0)) {
        var placeholder = moreNode(n);
        var at = positionOf(n.id);
        if (at) { placeholder.x = at.x + 110; placeholder.y = at.y - 80; }
        m.nodes.add(placeholder);
        m.edges.add({id: "more|" + n.id, from: n.id, to: placeholderId, dashes: [2, 4],
                     color: PALETTE.more.border, arrows: "", placeholder: true});
      }
    });
    net.edges.forEach(function (e) {
      if (!m.edges.get(edgeId(e))) { m.edges.add(visEdge(e)); }
    });
    updateMapStatus();
  }

  function openEntity(id) {
    show("entity-view");
    state.entity = id;
    state.expanded = {};
    $("entity-name").textContent = "loading…";
    $("entity-id").textContent = id;
    $("flag-list").textContent = "";
    $("node-details").textContent = "";
    $("map-status").textContent = "";
    legend($("entity-legend"));
    if (state.map && state.map.network) { state.map.network.destroy(); }
    state.map = {nodes: new vis.DataSet(), edges: new vis.DataSet(), network: null};
    api("/entities/" + encode(id) + "/network?depth=1&limit=50").then(function (net) {
      state.entity = net.center;
      state.expanded[net.center] = true;
      var center = net.nodes.filter(function (n) { return n.id === net.center; })[0] || {name: id, flags: []};
      $("entity-name").textContent = center.name;
      $("entity-id").textContent = net.center + " · as of " + net.as_of;
      document.title = center.name + " — credgraph";
      addNetwork(net, null);
      renderFlags(center.flags || []);
      var m = state.map;
      m.network = new vis.Network($("entity-map"), {nodes: m.nodes, edges: m.edges}, mapOptions());
      m.network.once("stabilizationIterationsDone", function () {
        m.network.setOptions({physics: false});
        $("entity-map").setAttribute("data-stabilized", "true");
      });
      m.network.on("click", onMapClick);
      m.network.on("doubleClick", function (params) {
        var node = params.nodes.length ? m.nodes.get(params.nodes[0]) : null;
        if (node && node.category !== "more" && node.id.indexOf("*") < 0) {
          location.hash = "#/entity/" + encode(node.id);
        }
      });
    }).catch(function (err) {
      $("entity-name").textContent = "could not open " + id;
      $("map-status").textContent = err.message;
    });
  }

  function onMapClick(params) {
    var m = state.map;
    if (!params.nodes.length) {
      var edge = params.edges.length ? m.edges.get(params.edges[0]) : null;
      $("node-details").textContent = edge && edge.title ? edge.title : "";
      return;
    }
    var node = m.nodes.get(params.nodes[0]);
    var target = node.category === "more" ? node.parent : node.id;
    var real = m.nodes.get(target);
    $("node-details").textContent = real ? real.title : "";
    expand(target);
  }

  function expand(id) {
    if (state.expanded[id]) { return Promise.resolve(); }
    if (id.indexOf("*") >= 0) {
      $("map-status").textContent = "masked id: this key's role cannot expand persons";
      return Promise.resolve();
    }
    state.expanded[id] = true;
    $("map-status").textContent = "expanding…";
    return api("/entities/" + encode(id) + "/network?depth=1&limit=50").then(function (net) {
      addNetwork(net, id);
    }).catch(function (err) {
      state.expanded[id] = false;
      $("map-status").textContent = "expand failed: " + err.message;
    });
  }

  function nameOf(id) {
    var node = state.map ? state.map.nodes.get(id) : null;
    return node && node.data ? node.data.name : id;
  }

  function pathText(f) {
    return "path: " + (f.path || []).map(nameOf).join(" → ") +
      (f.relations && f.relations.length ? "  (" + f.relations.join(", ") + ")" : "");
  }

  function renderFlags(flags) {
    state.flags = flags;
    var list = $("flag-list");
    list.textContent = "";
    if (!flags.length) {
      var none = document.createElement("li");
      none.textContent = "no flag on this day";
      list.appendChild(none);
      return;
    }
    flags.forEach(function (f, i) {
      var li = document.createElement("li");
      li.className = category({flags: [f]});
      li.setAttribute("data-flag-index", String(i));
      var head = document.createElement("div");
      head.textContent = f.flag + " · " + f.list + " · entry " + f.entry_id + " · rule " + f.rule;
      var cite = document.createElement("div");
      cite.className = "path";
      cite.textContent = "citation " + f.citation + (f.other_paths ? " · " + f.other_paths + " other paths" : "");
      var path = document.createElement("div");
      path.className = "path";
      path.textContent = pathText(f);
      li.appendChild(head); li.appendChild(cite); li.appendChild(path);
      li.addEventListener("click", function () {
        list.querySelectorAll("li").forEach(function (x) { x.classList.remove("selected"); });
        li.classList.add("selected");
        highlightPath(f).then(function () { path.textContent = pathText(f); });
      });
      list.appendChild(li);
    });
  }

  function ensureOnMap(path) {
    // Evidence can start beyond the map (e.g. the listed firm two hops away): fetch missing nodes.
    var m = state.map;
    var chain = Promise.resolve();
    path.forEach(function (id, i) {
      chain = chain.then(function () {
        if (m.nodes.get(id)) { return null; }
        return api("/entities/" + encode(id) + "/network?depth=1&limit=1").then(function (net) {
          var center = net.nodes.filter(function (n) { return n.id === net.center; });
          var onMap = net.edges.filter(function (e) {
            return (e.source === net.center && m.nodes.get(e.target)) || (e.target === net.center && m.nodes.get(e.source));
          });
          addNetwork({center: null, nodes: center, edges: onMap}, path[i + 1] || path[i - 1] || state.entity);
        }).catch(function () { return null; });  // e.g. a masked id: highlight what is drawn
      });
    });
    return chain;
  }

  function resetHighlight() {
    var m = state.map;
    m.edges.remove(m.edges.getIds({filter: function (e) { return e.evidence; }}));
    m.edges.update(m.edges.get({filter: function (e) { return !e.placeholder; }}).map(function (e) {
      return {id: e.id, color: e.baseColor, width: e.baseWidth};
    }));
    m.nodes.update(m.nodes.get({filter: function (n) { return n.category !== "more"; }}).map(function (n) {
      return {id: n.id, borderWidth: n.baseBorderWidth, borderWidthSelected: Math.max(n.baseBorderWidth, 2.5), shadow: false,
              color: {border: n.baseBorder, highlight: {border: "#000000"}}};
    }));
  }

  function highlightPath(flag) {
    var m = state.map;
    var path = flag.path || [];
    return ensureOnMap(path).then(function () {
      resetHighlight();
      path.forEach(function (id) {
        if (m.nodes.get(id)) {
          m.nodes.update({id: id, borderWidth: 3, borderWidthSelected: 3,
                          color: {border: EVIDENCE_COLOUR, highlight: {border: EVIDENCE_COLOUR}},
                          shadow: {enabled: true, color: EVIDENCE_COLOUR, size: 14, x: 0, y: 0}});
        }
      });
      for (var i = 0; i + 1 < path.length; i++) {
        var a = path[i], b = path[i + 1];
        var between = m.edges.get({filter: function (e) {
          return !e.placeholder && ((e.from === a && e.to === b) || (e.from === b && e.to === a));
        }});
        if (between.length) {
          m.edges.update(between.map(function (e) { return {id: e.id, color: EVIDENCE_COLOUR, width: 4}; }));
        } else if (m.nodes.get(a) && m.nodes.get(b)) {
          m.edges.add({id: "evidence|" + a + "|" + b, from: a, to: b, evidence: true, dashes: [6, 3], arrows: "",
                       label: (flag.relations || [])[i] || "", color: EVIDENCE_COLOUR, width: 3,
                       font: {face: FONT, size: 11, color: EVIDENCE_COLOUR}});
        }
      }
      var shown = path.filter(function (id) { return m.nodes.get(id); });
      if (m.network && shown.length) {
        m.network.selectNodes(shown);
        m.network.fit({nodes: shown, animation: false});
        if (m.network.getScale() > 1.2) { m.network.moveTo({scale: 1.2}); }
      }
      $("entity-map").setAttribute("data-highlighted", path.join(","));
      updateMapStatus();
    });
  }

  function openReport() {
    // Fetched with the key header and shown from a blob: the key never lands in a URL.
    var win = window.open("", "_blank");
    fetch("/entities/" + encode(state.entity) + "/report.html", {headers: {"X-API-Key": apiKey() || ""}})
      .then(function (response) {
        if (!response.ok) { throw new ApiError(response.status, response.statusText); }
        return response.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(new Blob([blob], {type: "text/html;charset=utf-8"}));
        if (win) { win.location.href = url; } else { location.href = url; }
      })
      .catch(function (err) {
        if (win) { win.close(); }
        $("map-status").textContent = "report failed: " + err.message;
      });
  }

  // ---- screening ---------------------------------------------------------------

  function runScreening(usccs, scenario) {
    $("screening-status").textContent = "screening " + usccs.length + " bidders…";
    $("screening-results").hidden = true;
    api("/screenings", {method: "POST", body: {bidders: usccs, scenario: scenario}})
      .then(renderScreening)
      .catch(function (err) { $("screening-status").textContent = "screening failed: " + err.message; });
  }

  function reasonText(r) {
    var bits = [r.code];
    if (r.list) { bits.push(r.list); }
    if (r.entry_id) { bits.push("entry " + r.entry_id); }
    if (r.rule) { bits.push("rule " + r.rule); }
    if (r.citation) { bits.push(r.citation); }
    if (r.detail) { bits.push(r.detail); }
    return bits.join(" · ");
  }

  function renderScreening(result) {
    var counts = {};
    result.bidders.forEach(function (b) { counts[b.verdict] = (counts[b.verdict] || 0) + 1; });
    $("screening-status").textContent = result.scenario + " on " + result.as_of + ": " +
      Object.keys(counts).map(function (k) { return counts[k] + " " + k; }).join(", ") +
      "; " + result.links.length + " links between bidders";
    var body = document.querySelector("#verdicts tbody");
    body.textContent = "";
    result.bidders.forEach(function (b) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-uscc", b.uscc);
      var who = document.createElement("td");
      if (b.verdict === "invalid" || b.verdict === "unknown") {
        who.textContent = b.uscc;
      } else {
        var a = document.createElement("a");
        a.href = "#/entity/" + encode(b.uscc);
        a.textContent = b.uscc;
        who.appendChild(a);
      }
      who.className = "mono";
      var verdict = document.createElement("td");
      verdict.className = "verdict " + b.verdict;
      verdict.textContent = b.verdict;
      var reasons = document.createElement("td");
      var ul = document.createElement("ul");
      (b.reasons || []).forEach(function (r) {
        var li = document.createElement("li");
        li.textContent = reasonText(r);
        ul.appendChild(li);
      });
      if (!(b.reasons || []).length) { reasons.textContent = "—"; } else { reasons.appendChild(ul); }
      tr.appendChild(who); tr.appendChild(verdict); tr.appendChild(reasons);
      body.appendChild(tr);
    });
    var list = $("links-list");
    list.textContent = "";
    result.links.forEach(function (l) {
      var li = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = l.kind;
      li.appendChild(kind);
      li.appendChild(document.createTextNode(" " + l.a + " ↔ " + l.b +
        (l.pct !== null && l.pct !== undefined ? " · " + l.pct + "%" : "") +
        (l.detail ? " · " + l.detail : "") + " · path " + l.path.join(" → ") +
        (l.relations && l.relations.length ? " (" + l.relations.join(", ") + ")" : "")));
      list.appendChild(li);
    });
    if (!result.links.length) {
      var none = document.createElement("li");
      none.textContent = "no link found between these bidders";
      list.appendChild(none);
    }
    $("screening-results").hidden = false;
    drawLinks(result);
    nameBidders(result);
  }

  function nameBidders(result) {
    // The screening answer carries USCCs only; officers read names.
    result.bidders.filter(function (b) { return b.verdict !== "invalid" && b.verdict !== "unknown"; })
      .forEach(function (b) {
        api("/entities/" + encode(b.uscc)).then(function (entity) {
          var cell = document.querySelector('#verdicts tr[data-uscc="' + CSS.escape(b.uscc) + '"] td');
          if (cell) {
            var name = document.createElement("span");
            name.className = "bidder-name";
            name.textContent = entity.name;
            cell.insertBefore(name, cell.firstChild);
          }
          if (state.links) {
            state.linkNodes.update({id: b.uscc, label: entity.name + "\n" + b.uscc + "\n" + b.verdict});
          }
        }).catch(function () { /* the USCC alone still identifies the bidder */ });
      });
  }

  function drawLinks(result) {
    if (state.links) { state.links.destroy(); }
    var nodes = result.bidders.filter(function (b) { return b.verdict !== "invalid"; }).map(function (b) {
      var colour = VERDICT_COLOUR[b.verdict] || "#b0bec5";
      return {id: b.uscc, label: b.uscc + "\n" + b.verdict, shape: "box", title: b.uscc + ": " + b.verdict,
              color: {background: colour, border: "#37474f"}, font: {color: b.verdict === "reject" ? "#fff" : "#000", face: FONT}};
    });
    var edges = result.links.map(function (l, i) {
      return {id: "link" + i, from: l.a, to: l.b, arrows: l.kind === "ownership" ? "to" : "",
              label: l.kind + (l.pct !== null && l.pct !== undefined ? " " + l.pct + "%" : ""),
              title: l.kind + "\n" + l.path.join(" → ") + (l.detail ? "\n" + l.detail : ""),
              dashes: l.kind === "shared_contact", color: "#455a64", font: {face: FONT, size: 11}};
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

  // ---- wiring ----------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    $("key-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var key = $("key-input").value.trim();
      if (!key) { return; }
      sessionStorage.setItem(KEY_STORAGE, key);
      $("key-input").value = "";
      route();
    });
    $("forget-key").addEventListener("click", function () {
      sessionStorage.removeItem(KEY_STORAGE);
      showKeyView("");
    });
    $("search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var q = $("search-input").value.trim();
      if (!q) { return; }
      var target = "#/?q=" + encodeURIComponent(q);
      if (location.hash === target) { runSearch(q); } else { location.hash = target; }
    });
    $("report-button").addEventListener("click", openReport);
    $("screening-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var usccs = $("screening-input").value.split(/[\s,;]+/).map(function (s) { return s.trim(); })
        .filter(function (s) { return s.length; });
      runScreening(usccs, $("screening-scenario").value);
    });
    window.addEventListener("hashchange", route);
    window.credgraphExplorer = state;
    route();
  });
})();
