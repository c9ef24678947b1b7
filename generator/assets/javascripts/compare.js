/* readiness: the /compare/ page. Any two releases side by side, from data/releases/<release>.js.
 *
 * Each data file is a script that adds one release to window.readinessReleases: a page opened from
 * file:// may load scripts next to it, but not fetch() them. Nothing here ever sends a request to
 * another host, and nothing from the data is parsed as HTML: every text goes in with textContent.
 * The kinds of change and their order are those of generator/analyse.py (CHANGE_KINDS, DIFF_SECTIONS);
 * tests/test_browser.py checks that this page and `readiness compare --json` agree.
 */
(function () {
  "use strict";

  var form = document.getElementById("rd-compare");
  var out = document.getElementById("rd-compare-out");
  if (!form || !out) return;
  var base = form.getAttribute("data-base") || "";
  var selectA = document.getElementById("rd-compare-a");
  var selectB = document.getElementById("rd-compare-b");
  var kinds = out.getAttribute("data-kinds").split("|").map(function (pair) {
    var i = pair.indexOf("=");
    return [pair.slice(0, i), pair.slice(i + 1)];
  });

  // analyse.CHANGE_KINDS: (kind, test on (before, after) statuses).
  var TESTS = [
    ["regressed", function (b, a) { return (b === "done" || b === "waived") && (a === "failed" || a === "pending"); }],
    ["fixed", function (b, a) { return (b === "failed" || b === "pending") && a === "done"; }],
    ["newly-waived", function (b, a) { return b !== "waived" && a === "waived"; }],
    ["newly-na", function (b, a) { return b !== "n/a" && a === "n/a"; }],
    ["no-longer-na", function (b, a) { return b === "n/a" && a !== "n/a"; }]
  ];

  var loading = {}, joined = {};

  // One data script, once: `registry[key]` once it has run, null if it failed or did not set it.
  function script(path, registry, key, done) {
    var have = window[registry] && window[registry][key];
    if (have) { done(have); return; }
    if (!loading[path]) {
      loading[path] = [];
      var node = document.createElement("script");
      var finish = function () {
        var data = window[registry] && window[registry][key];
        loading[path].forEach(function (cb) { cb(data || null); });
        delete loading[path];
      };
      node.onload = finish;
      node.onerror = finish;
      node.src = base + path;
      document.head.appendChild(node);
    }
    loading[path].push(done);
  }

  // A release with its items as [id, text, status, measured, carried_from, 1 if a criterion]: its own
  // script has the statuses, in the order of its checklist revision's script, which has ids and texts.
  function load(name, done) {
    if (joined[name]) { done(joined[name]); return; }
    script("data/releases/" + name + ".js", "readinessReleases", name, function (r) {
      var key = r && r.checklist_items;
      if (typeof key !== "string" || !/^checklists\/[^/?#:\\]+\/[0-9a-f]{64}$/.test(key) || key.indexOf("..") >= 0) {
        done(null);
        return;
      }
      script("data/" + key + ".js", "readinessChecklists", key, function (items) {
        if (!items || items.length !== r.items.length) { done(null); return; }
        var out = {};
        Object.keys(r).forEach(function (k) { out[k] = r[k]; });
        out.items = items.map(function (c, i) {
          var s = r.items[i];
          return [c[0], c[1], s[0], s[1] || null, s[2] || null, c[2] || 0];
        });
        joined[name] = out;
        done(out);
      });
    });
  }

  function changes(a, b) {
    var before = {}, after = {}, list = [];
    a.items.forEach(function (x) { before[x[0]] = x; });
    b.items.forEach(function (x) { after[x[0]] = x; });
    b.items.forEach(function (now) {
      var was = before[now[0]];
      if (!was) { list.push({kind: "added", item: now[0], text: now[1], before: null, after: now[2], carried: now[4]}); return; }
      TESTS.forEach(function (t) {
        if (t[1](was[2], now[2])) list.push({kind: t[0], item: now[0], text: now[1], before: was[2], after: now[2], carried: now[4]});
      });
      if (now[5] && was[3] !== now[3] && (was[3] || now[3])) {
        list.push({kind: "value", item: now[0], text: now[1], before: was[3], after: now[3], carried: now[4]});
      }
    });
    a.items.forEach(function (was) {
      if (!after[was[0]]) list.push({kind: "removed", item: was[0], text: was[1], before: was[2], after: null, carried: null});
    });
    var order = {};
    kinds.forEach(function (k, i) { order[k[0]] = i; });
    // A stable sort by kind: within a kind, the checklist's order.
    return list.map(function (c, i) { return [c, i]; })
      .sort(function (x, y) { return (order[x[0].kind] - order[y[0].kind]) || (x[1] - y[1]); })
      .map(function (x) { return x[0]; });
  }

  function signoffs(a, b) {
    var roles = Object.keys(a.signoffs);
    Object.keys(b.signoffs).forEach(function (r) { if (roles.indexOf(r) < 0) roles.push(r); });
    return roles.map(function (r) { return [r, a.signoffs[r] || null, b.signoffs[r] || null]; })
      .filter(function (x) { return x[1] !== x[2]; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // An id that wraps only after a slash (hyphens allow it already), as the release pages show ids.
  function idCode(id) {
    var code = el("code", {"class": "rd-id"});
    id.split("/").forEach(function (part, i, parts) {
      code.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "/" : "")));
      if (i < parts.length - 1) code.appendChild(document.createElement("wbr"));
    });
    return code;
  }

  function cssToken(text) {
    return text.toLowerCase().replace("n/a", "na").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  }

  function verdict(v) { return el("span", {"class": "rd-verdict rd-verdict--" + cssToken(v)}, v); }

  function releaseLink(name, item) {
    return el("a", {href: base + "releases/" + name + "/index.html" + (item ? "#i-" + item : "")}, name);
  }

  function side(label, r) {
    var p = el("p", {"class": "rd-compare-side"});
    p.appendChild(document.createTextNode(label + " "));
    p.appendChild(releaseLink(r.release));
    p.appendChild(document.createTextNode(" "));
    p.appendChild(verdict(r.verdict));
    var c = r.counts;
    p.appendChild(document.createTextNode(" " + r.progress.toFixed(1) + " % · " + c.done + " done, " + c.waived +
      " waived, " + c.na + " n/a, " + c.failed + " failed, " + c.pending + " pending; " +
      (r.unsigned.length ? r.unsigned.length + " not signed" : "every role signed") + " · checklist " + r.checklist));
    Object.keys(r.carried_over).forEach(function (source) {
      var n = r.carried_over[source];
      p.appendChild(document.createTextNode(" · "));
      p.appendChild(el("span", {"class": "rd-carried"}, n + " item" + (n === 1 ? "" : "s") + " carried over from " +
        source + ", not re-verified"));
    });
    return p;
  }

  function render(a, b) {
    out.textContent = "";
    out.appendChild(side("From", a));
    out.appendChild(side("to", b));
    var list = changes(a, b);
    var signed = signoffs(a, b);
    if (!list.length && !signed.length) {
      out.appendChild(el("p", {}, "No item changed status, no criterion value moved and the same roles signed."));
    }
    kinds.forEach(function (k) {
      var these = list.filter(function (c) { return c.kind === k[0]; });
      if (!these.length) return;
      var sources = these.map(function (c) { return c.carried || ""; })
        .filter(function (x, i, all) { return all.indexOf(x) === i; });
      var allCarried = sources.length === 1 && sources[0] ? sources[0] : null;
      var heading = el("h2", {}, k[1] + " (" + these.length + ")");
      if (allCarried) {
        heading.appendChild(document.createTextNode(" "));
        heading.appendChild(el("span", {"class": "rd-carried"}, (these.length > 1 ? "all " + these.length : "it was") +
          " carried over from " + allCarried + ", not re-verified"));
      }
      out.appendChild(heading);
      var ul = el("ul", {"class": "rd-changes rd-changes--" + k[0]});
      these.forEach(function (c) {
        var li = el("li", {"class": "rd-compare-change", "data-kind": c.kind, "data-item": c.item,
                           "data-before": c.before == null ? "" : c.before, "data-after": c.after == null ? "" : c.after,
                           "data-carried": c.carried || ""});
        li.appendChild(c.kind === "removed" ? el("span", {}, c.text) : releaseLink(b.release, c.item));
        if (c.kind !== "removed") li.lastChild.textContent = c.text;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(idCode(c.item));
        var what = c.kind === "added" ? "new, " + c.after : c.kind === "removed" ? "was " + c.before :
          (c.before || "not measured") + " → " + (c.after || "not measured");
        li.appendChild(document.createTextNode(": " + what));
        if (c.carried && !allCarried) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", {"class": "rd-carried"}, "(carried over from " + c.carried + ", not re-verified)"));
        }
        ul.appendChild(li);
      });
      out.appendChild(ul);
    });
    if (signed.length) {
      out.appendChild(el("h2", {}, "Sign-offs changed (" + signed.length + ")"));
      var ul = el("ul", {"class": "rd-changes rd-changes--signoffs"});
      signed.forEach(function (s) {
        ul.appendChild(el("li", {"class": "rd-compare-signoff", "data-role": s[0]},
          s[0] + ": " + (s[1] || "not signed") + " → " + (s[2] || "not signed")));
      });
      out.appendChild(ul);
    }
  }

  function update() {
    var a = selectA.value, b = selectB.value;
    if (history.replaceState) history.replaceState(null, "", "#from=" + encodeURIComponent(a) + "&to=" + encodeURIComponent(b));
    out.setAttribute("aria-busy", "true");
    load(a, function (ra) {
      load(b, function (rb) {
        out.removeAttribute("aria-busy");
        if (selectA.value !== a || selectB.value !== b) return;  // changed meanwhile: the newer call renders
        if (!ra || !rb) {
          out.textContent = "";
          out.appendChild(el("p", {"class": "rd-warning"}, "The data of " + (!ra ? a : b) +
            " could not be loaded (data/releases/" + (!ra ? a : b) + ".js)."));
          return;
        }
        render(ra, rb);
        out.setAttribute("data-pair", a + "|" + b);
      });
    });
  }

  function fromHash() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) params[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    [[selectA, params.from], [selectB, params.to]].forEach(function (x) {
      if (x[1] && Array.prototype.some.call(x[0].options, function (o) { return o.value === x[1]; })) x[0].value = x[1];
    });
  }

  form.hidden = false;
  fromHash();
  selectA.addEventListener("change", update);
  selectB.addEventListener("change", update);
  document.getElementById("rd-compare-swap").addEventListener("click", function () {
    var a = selectA.value;
    selectA.value = selectB.value;
    selectB.value = a;
    update();
  });
  update();
})();
