/// The dashboard's page, style and script, served from the binary: no framework, nothing
/// fetched from elsewhere (the Content-Security-Policy forbids it).
enum DashboardAssets {
    static let page = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Serin dashboard</title>
    <link rel="stylesheet" href="/app.css">
    <script src="/app.js" defer></script>
    </head>
    <body>
    <header><a href="/" class="brand">Serin</a> <span id="scope"></span> <span id="live" class="live">connecting…</span></header>
    <main id="main"><p>Loading…</p></main>
    </body>
    </html>
    """

    static let style = """
    :root { --fg: #1d2330; --muted: #687083; --line: #dde1e8; --ok: #1f8f5f; --warn: #b7791f; --bad: #c53030; --accent: #2b6cb0; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #f7f8fa; }
    header { display: flex; gap: 1em; align-items: baseline; padding: .8em 1.5em; background: #fff; border-bottom: 1px solid var(--line); }
    .brand { font-weight: 700; font-size: 1.2em; color: var(--fg); text-decoration: none; }
    #scope, .muted { color: var(--muted); }
    .live { margin-left: auto; font-size: .85em; color: var(--muted); }
    .live.on { color: var(--ok); }
    main { padding: 1.2em 1.5em; max-width: 1200px; }
    h1 { font-size: 1.3em; margin: .2em 0 .6em; }
    h2 { font-size: 1.05em; margin: 1.4em 0 .5em; }
    table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
    th, td { text-align: left; padding: .45em .7em; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-weight: 600; color: var(--muted); font-size: .85em; text-transform: uppercase; letter-spacing: .03em; }
    td a { color: var(--accent); text-decoration: none; font-weight: 600; }
    .phase { font-weight: 600; }
    .phase-Succeeded, .phase-Healthy, .verdict-Pass, .verdict-Successful { color: var(--ok); }
    .phase-Progressing, .phase-Promoting, .phase-Finalising, .phase-Paused, .phase-Waiting, .phase-WaitingPromotion { color: var(--warn); }
    .phase-Failed, .phase-Degraded, .verdict-Fail, .verdict-Error, .verdict-Failed { color: var(--bad); }
    .cards { display: flex; gap: 1em; flex-wrap: wrap; }
    .card { background: #fff; border: 1px solid var(--line); padding: .6em 1em; min-width: 9em; }
    .card b { display: block; font-size: 1.25em; }
    .actions { margin: 1em 0; display: flex; gap: .5em; flex-wrap: wrap; }
    button { font: inherit; padding: .35em .9em; border: 1px solid var(--accent); background: #fff; color: var(--accent); cursor: pointer; }
    button:hover { background: var(--accent); color: #fff; }
    button.danger { border-color: var(--bad); color: var(--bad); }
    button.danger:hover { background: var(--bad); color: #fff; }
    #result { margin: .5em 0; white-space: pre-wrap; }
    ol.steps { background: #fff; border: 1px solid var(--line); margin: 0; padding: .6em 2em; }
    ol.steps li.done { color: var(--muted); }
    ol.steps li.current { font-weight: 700; color: var(--warn); }
    svg.chart { background: #fff; border: 1px solid var(--line); width: 100%; height: 160px; }
    svg.chart polyline { fill: none; stroke: var(--accent); stroke-width: 2; }
    svg.chart line { stroke: var(--line); }
    svg.chart text { fill: var(--muted); font-size: 11px; }
    """

    static let script = #"""
    "use strict";
    // The dashboard: one page that shows the list or one release, re-read on every change the
    // server streams (server-sent events from its watches).
    const $ = (tag, attrs = {}, ...children) => {
      const el = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs)) {
        if (k === "class") el.className = v; else if (k.startsWith("data-")) el.setAttribute(k, v); else el[k] = v;
      }
      for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
      return el;
    };
    const route = () => {
      const p = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      return p[0] === "releases" && p.length === 4 ? { kind: p[1], namespace: p[2], name: p[3] } : null;
    };
    const table = (headers, rows) =>
      $("table", {}, $("thead", {}, $("tr", {}, ...headers.map(h => $("th", {}, h)))), $("tbody", {}, ...rows));

    async function showList() {
      const data = await (await fetch("/api/releases")).json();
      document.getElementById("scope").textContent = data.namespace + (data.readOnly ? " · read-only" : "");
      const rows = data.releases.map(r => $("tr", { "data-release": `${r.kind}/${r.namespace}/${r.name}` },
        $("td", {}, $("a", { href: `/releases/${r.kind.toLowerCase()}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}` }, r.name)),
        $("td", {}, r.kind), $("td", {}, r.namespace),
        $("td", { class: `phase phase-${r.phase}` }, r.phase + (r.paused ? " (paused)" : "")),
        $("td", { class: "weight" }, r.weight), $("td", {}, r.step), $("td", { class: "checks" }, r.checks), $("td", {}, r.age)));
      const main = document.getElementById("main");
      main.replaceChildren($("h1", {}, "Releases"),
        rows.length ? table(["Name", "Kind", "Namespace", "Phase", "Weight", "Step", "Failed checks", "Age"], rows)
                    : $("p", { class: "muted" }, "No Canaries or Rollouts."),
        ...data.unavailable.map(u => $("p", { class: "muted" }, u)));
    }

    function chart(history) {
      const ns = "http://www.w3.org/2000/svg", w = 600, h = 140, svg = document.createElementNS(ns, "svg");
      svg.setAttribute("class", "chart"); svg.setAttribute("viewBox", `0 0 ${w} ${h + 20}`);
      svg.setAttribute("preserveAspectRatio", "none");
      for (const pct of [0, 50, 100]) {
        const y = h - pct / 100 * h + 5, line = document.createElementNS(ns, "line"), label = document.createElementNS(ns, "text");
        line.setAttribute("x1", 30); line.setAttribute("x2", w); line.setAttribute("y1", y); line.setAttribute("y2", y);
        label.setAttribute("x", 0); label.setAttribute("y", y + 4); label.textContent = pct + "%";
        svg.append(line, label);
      }
      if (history.length) {
        const t0 = Date.parse(history[0].t), t1 = Math.max(Date.now(), t0 + 1000);
        const x = t => 30 + (Date.parse(t) - t0) / (t1 - t0) * (w - 30), y = v => h - v / 100 * h + 5;
        let pts = [];
        history.forEach((s, i) => { if (i) pts.push(`${x(s.t)},${y(history[i - 1].weight)}`); pts.push(`${x(s.t)},${y(s.weight)}`); });
        pts.push(`${w},${y(history[history.length - 1].weight)}`);
        const poly = document.createElementNS(ns, "polyline");
        poly.setAttribute("points", pts.join(" "));
        svg.append(poly);
      }
      return svg;
    }

    async function act(r, verb) {
      const out = document.getElementById("result");
      out.textContent = `${verb}…`;
      const res = await fetch(`/api/releases/${r.kind}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}/${encodeURIComponent(verb)}`,
                              { method: "POST", headers: { "X-Serin-Dashboard": "1" } });
      const body = await res.json().catch(() => ({ error: res.statusText }));
      out.textContent = body.message || body.error || "";
      out.className = res.ok ? "ok" : "phase-Failed";
    }

    async function showRelease(r) {
      const res = await fetch(`/api/releases/${r.kind}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`);
      const main = document.getElementById("main");
      if (!res.ok) { main.replaceChildren($("p", {}, `${r.kind} ${r.namespace}/${r.name} not found.`)); return; }
      const d = await res.json();
      document.getElementById("scope").textContent = `${d.kind} ${d.namespace}/${d.name}` + (d.readOnly ? " · read-only" : "");
      const card = (label, value, cls = "") => $("div", { class: "card" }, label, $("b", { class: cls }, value));
      const prevResult = document.getElementById("result");
      const result = $("div", { id: "result" });
      if (prevResult) { result.textContent = prevResult.textContent; result.className = prevResult.className; }
      const buttons = d.actions.map(v => $("button", { "data-verb": v, class: v === "abort" ? "danger" : "", onclick: () => act(d, v) }, v));
      main.replaceChildren(
        $("h1", {}, `${d.kind} ${d.name}`),
        $("div", { class: "cards" }, card("Phase", d.phase, `phase phase-${d.phase}`), card("Weight", d.weight), card("Step", d.step),
          card("Failed checks", d.checks), card("Age", d.age)),
        d.message ? $("p", { class: "muted" }, d.message) : "",
        buttons.length ? $("div", { class: "actions" }, ...buttons)
                       : $("p", { class: "muted", id: "no-actions" }, d.readOnly ? "Read-only dashboard." : "You may not change this release."),
        result,
        $("h2", {}, "Weight over time (since the dashboard started)"), chart(d.history),
        $("h2", {}, "Metrics"),
        d.metrics.length ? table(["Metric", "Last value", "Threshold", "Verdict", "Detail"], d.metrics.map(m =>
          $("tr", {}, $("td", {}, m.name), $("td", {}, m.value), $("td", {}, m.threshold), $("td", { class: `verdict-${m.verdict}` }, m.verdict), $("td", {}, m.detail))))
          : $("p", { class: "muted" }, "No metrics."),
        $("h2", {}, "Steps"),
        d.steps.length ? $("ol", { class: "steps" }, ...d.steps.map(s => $("li", { class: s.state }, s.text))) : $("p", { class: "muted" }, "No steps."),
        $("h2", {}, d.kind === "Canary" ? "Primary and canary" : "ReplicaSets"),
        d.workloads.length ? table(["Role", "Name", "Ready", "Image"], d.workloads.map(w =>
          $("tr", {}, $("td", {}, w.role), $("td", {}, w.name), $("td", {}, `${w.ready}/${w.replicas}`), $("td", {}, w.image))))
          : $("p", { class: "muted" }, "None found."),
        $("h2", {}, "Recent events"),
        d.events.length ? table(["Time", "Type", "Reason", "Message"], d.events.slice().reverse().map(e =>
          $("tr", {}, $("td", {}, e.time), $("td", {}, e.type), $("td", {}, e.reason), $("td", {}, e.message))))
          : $("p", { class: "muted" }, "No events."));
    }

    let pending = null;
    const refresh = () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        const r = route();
        (r ? showRelease(r) : showList()).then(() => { document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1); });
      }, 50);
    };
    const events = new EventSource("/api/stream");
    const live = document.getElementById("live");
    events.onopen = () => { live.textContent = "live"; live.className = "live on"; };
    events.onerror = () => { live.textContent = "reconnecting…"; live.className = "live"; };
    events.addEventListener("change", refresh);
    refresh();
    """#
}
