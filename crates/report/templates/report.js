"use strict";
(function () {
  // Everything from the logs is attacker-controlled: it reaches the page through
  // textContent and setAttribute on fixed attribute names only, never as markup.
  var data = JSON.parse(document.getElementById("case-data").textContent || "{}");
  var findings = Array.isArray(data.findings) ? data.findings : [];
  var signins = data.signins && typeof data.signins === "object" ? data.signins : {};
  var NS = "http://www.w3.org/2000/svg";
  var SEV = ["critical", "high", "medium", "low", "informational", "none"];
  var SEVC = { critical: "#7a0019", high: "#d1242f", medium: "#e07b00", low: "#c9a400", informational: "#4a7bd0", none: "#8a94a6" };
  var VERC = { interactive: "#2f6fde", automation: "#15916b", platform: "#9aa3b2", undetermined: "#8e5bd6" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sv(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function str(v) { return v === undefined || v === null ? "" : String(v); }
  function who(f) { return f.identity && f.identity.display ? str(f.identity.display) : "(unknown)"; }
  function sev(f) { return SEV.indexOf(f.severity) >= 0 ? f.severity : "none"; }
  function verdict(f) { return VERC[f.verdict] ? f.verdict : "undetermined"; }
  function colour(f) { return sev(f) !== "none" ? SEVC[sev(f)] : VERC[verdict(f)]; }
  function iso(ts) { return new Date(ts).toISOString().replace("T", " ").replace(/:\d\d\.\d+Z$/, "Z"); }
  function short(s, n) { s = str(s); return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }
  function leaf(r) { r = str(r); var i = r.lastIndexOf("/"); return i >= 0 ? r.slice(i + 1) : r; }

  // ---- filters ----
  function options(id, values) {
    var s = document.getElementById(id);
    values.forEach(function (v) { var o = el("option", null, v); o.value = v; s.appendChild(o); });
  }
  var ids = {}, verdicts = {}, sevs = {};
  findings.forEach(function (f) { ids[who(f)] = 1; verdicts[verdict(f)] = 1; sevs[sev(f)] = 1; });
  options("f-identity", Object.keys(ids).sort());
  options("f-verdict", Object.keys(verdicts).sort());
  options("f-severity", SEV.filter(function (s) { return sevs[s]; }));
  var fI = document.getElementById("f-identity"), fV = document.getElementById("f-verdict"),
      fS = document.getElementById("f-severity"), fT = document.getElementById("f-text"),
      fX = document.getElementById("f-interest");
  if (!findings.some(function (f) { return f.interest; })) fX.checked = false;

  function selected() {
    var t = fT.value.toLowerCase();
    return findings.filter(function (f) {
      return (!fX.checked || f.interest) &&
        (!fI.value || who(f) === fI.value) &&
        (!fV.value || verdict(f) === fV.value) &&
        (!fS.value || sev(f) === fS.value) &&
        (!t || (str(f.operation) + " " + str(f.resource_id)).toLowerCase().indexOf(t) >= 0);
    });
  }

  // ---- legend ----
  (function () {
    var lg = document.getElementById("legend");
    function item(c, label, sq) { var i = el("i", sq ? "sq" : null); i.style.background = c; lg.appendChild(i); lg.appendChild(document.createTextNode(label)); }
    lg.appendChild(document.createTextNode("Changes by severity:"));
    ["critical", "high", "medium", "low"].forEach(function (s) { item(SEVC[s], s); });
    lg.appendChild(document.createTextNode("  \u00b7 no detection, by verdict:"));
    Object.keys(VERC).forEach(function (v) { item(VERC[v], v); });
    lg.appendChild(document.createTextNode("  \u00b7 "));
    item("#1d2330", "sign-in that issued the token", true);
    item("#ffffff", "session origin (interactive sign-in)", true);
  })();

  // ---- detail panel ----
  var detail = document.getElementById("detail");
  function describe(f, box) {
    var h = el("div");
    h.appendChild(el("span", "pill sev-" + sev(f), sev(f)));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("span", "pill v-" + verdict(f), verdict(f)));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("time", null, str(f.time)));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("span", "op-name", f.operation));
    box.appendChild(h);
    if (f.resource_id) box.appendChild(el("div", "res", f.resource_id));
    box.appendChild(el("div", "stmt", f.statement));
    var kv = el("div", "kv");
    function add(k, v) { if (!v) return; kv.appendChild(el("b", null, k + ": ")); kv.appendChild(document.createTextNode(str(v) + "   ")); }
    add("identity", who(f) + (f.identity && f.identity.type ? " (" + f.identity.type + ")" : ""));
    add("client", f.client && (f.client.name || f.client.app_id));
    add("caller IP", f.caller_ip);
    add("correlation id", f.correlation_id);
    if (f.sign_in) add("sign-in", str(f.sign_in.id) + " at " + str(f.sign_in.time) + " from " + str(f.sign_in.ip) + " by " + str(f.sign_in.match));
    if (f.sign_in && signins[f.sign_in.id]) add("sign-in user agent", signins[f.sign_in.id].user_agent);
    if (f.session_origin) add("session origin", str(f.session_origin.id) + " at " + str(f.session_origin.time) + " from " + str(f.session_origin.ip) + (f.session_origin.mfa === true ? " with MFA" : f.session_origin.mfa === false ? " without MFA" : ""));
    box.appendChild(kv);
    var ul = el("ul");
    (f.detections || []).forEach(function (d) { ul.appendChild(el("li", null, "detection " + str(d.rule) + ": " + str(d.title) + " [" + str(d.severity) + "] " + (d.attack || []).join(", "))); });
    (f.indicators || []).forEach(function (x) { ul.appendChild(el("li", null, "indicator: " + str(x))); });
    (f.anomalies || []).forEach(function (x) { ul.appendChild(el("li", "anom", "anomaly: " + str(x))); });
    (f.gaps || []).forEach(function (g) { ul.appendChild(el("li", "gap", "gap (" + str(g.reason) + "): " + str(g.detail))); });
    if (ul.firstChild) box.appendChild(ul);
  }
  var selectedDot = null;
  function show(f, dot) {
    clear(detail);
    detail.className = "detail sev-" + sev(f);
    describe(f, detail);
    detail.hidden = false;
    if (selectedDot) selectedDot.classList.remove("sel");
    selectedDot = dot;
    if (dot) dot.classList.add("sel");
  }

  // ---- timeline ----
  function lanesOf(list) {
    var lanes = [], byName = {};
    list.slice().sort(function (a, b) { return (a.ts || 0) - (b.ts || 0) || a.n - b.n; }).forEach(function (f) {
      var k = who(f);
      if (!byName[k]) { byName[k] = { name: k, type: f.identity ? str(f.identity.type) : "", ops: [] }; lanes.push(byName[k]); }
      byName[k].ops.push(f);
    });
    return lanes;
  }
  function drawTimeline(list) {
    var box = document.getElementById("timeline");
    clear(box);
    if (!list.length) { box.appendChild(el("p", "empty", "No operation matches the filters.")); return; }
    var lanes = lanesOf(list);
    var lo = Infinity, hi = -Infinity;
    list.forEach(function (f) {
      [f.ts, f.sign_in && f.sign_in.ts, f.session_origin && f.session_origin.ts].forEach(function (t) {
        if (typeof t === "number") { lo = Math.min(lo, t); hi = Math.max(hi, t); }
      });
    });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 60000) { lo -= 30000; hi += 30000; }
    var pad = (hi - lo) * 0.04; lo -= pad; hi += pad;
    var L = 270, R = 30, T = 34, LH = 56;
    var W = Math.max(960, (box.clientWidth || 1200) - 2);
    var H = T + lanes.length * LH + 12;
    var x = function (t) { return L + (t - lo) / (hi - lo) * (W - L - R); };
    var s = sv("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", id: "timeline-svg" });
    s.appendChild(el("title", null, "Timeline: one lane per identity"));
    var axis = sv("g", { "class": "axis" });
    for (var i = 0; i <= 6; i++) {
      var t = lo + (hi - lo) * i / 6, xx = x(t);
      axis.appendChild(sv("line", { x1: xx, x2: xx, y1: T - 8, y2: H - 8, stroke: "#e6e9ef" }));
      var lab = sv("text", { x: xx, y: T - 14, "text-anchor": i === 0 ? "start" : i === 6 ? "end" : "middle" });
      lab.textContent = iso(t);
      axis.appendChild(lab);
    }
    s.appendChild(axis);
    lanes.forEach(function (lane, li) {
      var y = T + li * LH + LH / 2;
      var g = sv("g", { "class": "lane", "data-identity": lane.name });
      if (li % 2 === 0) g.appendChild(sv("rect", { x: 0, y: y - LH / 2, width: W, height: LH, fill: "#f8f9fb" }));
      g.appendChild(sv("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#cfd5df" }));
      var name = sv("text", { x: 12, y: y - 2, "class": "lane-label" });
      name.textContent = short(lane.name, 40);
      var nt = sv("title", {}); nt.textContent = lane.name; name.appendChild(nt);
      g.appendChild(name);
      var sub = sv("text", { x: 12, y: y + 13, "class": "lane-sub" });
      sub.textContent = (lane.type || "identity").replace(/_/g, " ") + " \u00b7 " + lane.ops.length + (lane.ops.length === 1 ? " change" : " changes");
      g.appendChild(sub);
      var links = sv("g", {}), marks = sv("g", {}), dots = sv("g", {}), seen = {};
      function diamond(t, id, hollow, label) {
        var key = id + (hollow ? "/o" : "/s");
        if (seen[key]) return;
        seen[key] = 1;
        var cx = x(t), d = 6;
        var p = sv("path", { d: "M" + cx + " " + (y - d) + "L" + (cx + d) + " " + y + "L" + cx + " " + (y + d) + "L" + (cx - d) + " " + y + "Z",
          fill: hollow ? "#ffffff" : "#1d2330", stroke: "#1d2330", "stroke-width": 1.5, "class": "signin" });
        var tt = sv("title", {}); tt.textContent = label; p.appendChild(tt);
        marks.appendChild(p);
      }
      lane.ops.forEach(function (f) {
        var ox = x(f.ts || lo);
        var si = f.sign_in, so = f.session_origin;
        if (si && typeof si.ts === "number") {
          var sx = x(si.ts), bow = Math.min(20, 5 + Math.abs(ox - sx) / 12);
          links.appendChild(sv("path", { d: "M" + ox + " " + y + "Q" + ((ox + sx) / 2) + " " + (y + bow) + " " + sx + " " + y,
            fill: "none", stroke: colour(f), "stroke-width": 2, "stroke-opacity": 0.7, "class": "link" }));
          var info = signins[si.id] || {};
          diamond(si.ts, str(si.id), false, "sign-in " + str(si.id) + " at " + str(si.time) + " (" + str(info.kind || si.kind) + ") from " + str(si.ip) + (info.app ? " to " + str(info.app) : "") + "; linked by " + str(si.match));
        }
        if (so && typeof so.ts === "number" && (!si || so.id !== si.id)) {
          var from = si && typeof si.ts === "number" ? x(si.ts) : ox;
          var arc = sv("path", { d: "M" + from + " " + y + "Q" + ((from + x(so.ts)) / 2) + " " + (y - 22) + " " + x(so.ts) + " " + y,
            fill: "none", stroke: "#1d2330", "stroke-dasharray": "4 3", "stroke-opacity": 0.6, "class": "link origin" });
          links.appendChild(arc);
          diamond(so.ts, str(so.id), true, "session origin: interactive sign-in " + str(so.id) + " at " + str(so.time) + " from " + str(so.ip) + (so.mfa === true ? ", MFA" : so.mfa === false ? ", no MFA" : ""));
        }
        var c = sv("circle", { cx: ox, cy: y, r: sev(f) !== "none" ? 8 : 6, fill: colour(f), stroke: "#ffffff", "stroke-width": 1.5, "class": "op", "data-n": f.n });
        var tt = sv("title", {});
        tt.textContent = str(f.time) + "  " + str(f.operation) + "\n" + str(f.resource_id) + "\n" + str(f.statement);
        c.appendChild(tt);
        c.addEventListener("click", function () { show(f, c); });
        dots.appendChild(c);
      });
      g.appendChild(links); g.appendChild(marks); g.appendChild(dots);
      s.appendChild(g);
    });
    box.appendChild(s);
  }

  // ---- storylines ----
  function drawStories(list) {
    var box = document.getElementById("stories");
    clear(box);
    var wrap = el("div", "stories");
    lanesOf(list).forEach(function (lane) {
      var card = el("div", "story");
      card.appendChild(el("h3", null, lane.name));
      var ins = {}, first = lane.ops[0];
      card.appendChild(el("div", "kind", (lane.type || "identity").replace(/_/g, " ") +
        (first && first.identity && first.identity.upn ? " \u00b7 " + str(first.identity.upn) : "")));
      var items = [];
      lane.ops.forEach(function (f) {
        [[f.session_origin, "session origin: interactive sign-in"], [f.sign_in, "sign-in"]].forEach(function (p) {
          var r = p[0];
          if (!r || ins[r.id]) return;
          ins[r.id] = 1;
          var info = signins[r.id] || {};
          items.push({ ts: typeof r.ts === "number" ? r.ts : (f.ts || 0), ord: 0, cls: "signin", time: str(r.time),
            text: p[1] + " from " + (str(r.ip) || "unknown IP") + (info.app ? " to " + str(info.app) : "") +
              (info.location ? " (" + str(info.location) + ")" : "") + (r.mfa === true || info.mfa === true ? ", MFA" : "") });
        });
        items.push({ ts: f.ts || 0, ord: 1, cls: "v-" + verdict(f) + " sev-" + sev(f), time: str(f.time), f: f,
          text: str(f.operation) + " on " + (leaf(f.resource_id) || "(no resource)") + " \u2014 " + verdict(f) +
            (f.sign_in ? ", token from sign-in " + short(f.sign_in.id, 13) : ", no sign-in linked") });
      });
      items.sort(function (a, b) { return a.ts - b.ts || a.ord - b.ord; });
      var ol = el("ol");
      items.forEach(function (it) {
        var li = el("li", it.cls);
        li.appendChild(el("time", null, it.time));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", null, it.text));
        ol.appendChild(li);
      });
      card.appendChild(ol);
      wrap.appendChild(card);
    });
    if (!wrap.firstChild) wrap.appendChild(el("p", "empty", "No operation matches the filters."));
    box.appendChild(wrap);
  }

  // ---- findings by severity ----
  function drawFindings(list) {
    var box = document.getElementById("findings");
    clear(box);
    SEV.forEach(function (s) {
      var group = list.filter(function (f) { return sev(f) === s; });
      if (!group.length) return;
      var sec = el("div", "sevgroup");
      var h = el("h3");
      h.appendChild(el("span", "pill sev-" + s, s === "none" ? "no detection" : s));
      h.appendChild(document.createTextNode(" " + group.length + (group.length === 1 ? " operation" : " operations")));
      sec.appendChild(h);
      group.slice(0, 500).forEach(function (f) {
        var card = el("div", "finding sev-" + s);
        describe(f, card);
        sec.appendChild(card);
      });
      if (group.length > 500) sec.appendChild(el("p", "empty", (group.length - 500) + " more; narrow the filters or see findings/operations.jsonl."));
      box.appendChild(sec);
    });
    if (!box.firstChild) box.appendChild(el("p", "empty", "No operation matches the filters."));
  }

  function render() {
    var list = selected();
    document.getElementById("f-count").textContent = list.length + " of " + findings.length + " operations shown" +
      (data.total_operations > findings.length ? " (" + data.total_operations + " in the case; the rest are in findings/operations.jsonl)" : "");
    detail.hidden = true;
    drawTimeline(list);
    drawStories(list);
    drawFindings(list);
  }
  // Filters can be given in the address: report.html#identity=…&verdict=…&severity=…&text=…&all
  // (a shareable view; the values only select among the page's own options).
  (function () {
    var h = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (h.has("identity")) fI.value = h.get("identity");
    if (h.has("verdict")) fV.value = h.get("verdict");
    if (h.has("severity")) fS.value = h.get("severity");
    if (h.has("text")) fT.value = h.get("text");
    if (h.has("all")) fX.checked = false;
  })();
  [fI, fV, fS, fX].forEach(function (n) { n.addEventListener("change", render); });
  fT.addEventListener("input", render);
  render();
})();
