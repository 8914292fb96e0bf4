#!/usr/bin/env python3
"""DIR/report.html: one self-contained page for an archsim run or experiment folder.

    python3 plots/report.py DIR [--assumptions FILE]      (what `archsim report DIR` runs)

The page needs no network and no other file: figures are embedded as base64 PNG, the style is
inline, and a small inline script sets `data-images-loaded="N/N"` on <body> once every image has
decoded (headless-browser tests read it). It runs plot.py's figures first when any is missing.

--assumptions FILE is the JSON `archsim report` writes from the topology (sim/report/plot_report.cpp):
the key numbers with units resolved by the C++ loader. Without it the page states what the run
folder itself knows (topology name, components, kinds, replicas, window, seed) and says so.
"""
import base64
import html
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot  # noqa: E402

CSS = """
body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em} th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
.verdict{background:#fff4f4;border-left:5px solid #d62728;padding:.6em 1em;margin:.8em 0}
figure{margin:1.2em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#555;font-size:.9em}
.muted{color:#777}
tr.detail td{color:#555;font-size:.88em;background:#fafafa}
svg.design{max-width:100%;height:auto}
div.wide{max-width:100%;overflow-x:auto}
.verdict p{margin:.2em 0}
"""

SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images-loaded', ok + '/' + imgs.length);
  var widest = imgs.reduce(function (w, i) { return Math.max(w, i.naturalWidth); }, 0);
  document.body.setAttribute('data-widest-image', String(widest));
  document.body.setAttribute('data-page-width', String(document.body.clientWidth));
});
"""


def esc(x):
    return html.escape("" if x is None else str(x))


def fmt(v, digits=4):
    if v is None:
        return "–"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.{digits}g}"
        return f"{v:,.{max(0, digits - len(str(int(abs(v)))))}f}" if abs(v) < 10 ** digits else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table(headers, rows, numeric=None):
    numeric = numeric if numeric is not None else [False] + [True] * (len(headers) - 1)
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td class='n'>{esc(fmt(c))}</td>" if numeric[i] else f"<td>{esc(fmt(c))}</td>"
                                    for i, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def figures_html(d, index):
    skipped = []
    p = os.path.join(d, "figures", "index.json")
    if os.path.exists(p):
        with open(p) as f:
            skipped = json.load(f).get("skipped", [])
    parts = []
    for f in index:
        with open(os.path.join(d, f["png"]), "rb") as fh:
            data = base64.b64encode(fh.read()).decode("ascii")
        parts.append(f"<figure id='fig-{esc(f['name'])}'><img alt='{esc(f['title'])}' "
                     f"src='data:image/png;base64,{data}'><figcaption><b>{esc(f['title'])}</b> "
                     f"{esc(f['caption'])} <span class='muted'>(also {esc(f['svg'])})</span></figcaption></figure>")
    if not parts:
        why = "; ".join(f"{x['name']}: {x['why']}" for x in skipped) or "the files hold nothing they plot"
        return f"<p class='muted'>No figure could be drawn from this folder's files ({esc(why)}).</p>"
    return "\n".join(parts)


def ensure_figures(d):
    """The figure index, drawing the figures first when any is missing."""
    p = os.path.join(d, "figures", "index.json")
    if os.path.exists(p):
        with open(p) as f:
            index = json.load(f).get("figures", [])
        if index and all(os.path.exists(os.path.join(d, x["png"])) for x in index):
            return index
    return plot.make_figures(d)[1]


# ---------------------------------------------------------------------------------------------
# Assumptions

def assumptions_from_topology(a):
    out = []
    run = a.get("run", {})
    net = a.get("network", {})
    out.append(f"<p>From the topology file <code>{esc(a.get('file'))}</code>: run of "
               f"{fmt(run.get('duration_s'))} s simulated, the first {fmt(run.get('warmup_s'))} s warm-up, seed "
               f"{esc(run.get('seed'))}. Network: host-to-host round trip {fmt(net.get('intra_region_rtt_ms'))} ms "
               f"within a region, NICs of {fmt(net.get('host_bandwidth_gbps'))} Gbps each way.</p>")
    links = net.get("links") or []
    if links:
        out.append(table(["region link", "rtt (ms)", "bandwidth (Gbps)"],
                         [[f"{l['a']} ↔ {l['b']}", l.get("rtt_ms"), l.get("bandwidth_gbps")] for l in links]))
    clients = [c for c in a.get("components", []) if c.get("kind") == "client"]
    servers = [c for c in a.get("components", []) if c.get("kind") != "client"]
    if clients:
        rows = []
        for c in clients:
            mix = ", ".join(f"{m['type']} {100 * m['share']:.0f}% ({m['op']})" for m in c.get("mix", []))
            rows.append([c["name"], c.get("arrival"), mix, c.get("target"), c.get("timeout")])
        out.append("<h3>Clients</h3>" + table(["client", "arrival", "request mix", "target", "timeout"], rows,
                                               [False] * 5))
    if servers:
        rows = []
        for c in servers:
            extra = []
            for k in ("policy", "targets", "capacity", "hit", "backend", "read", "write", "io_parallelism", "delay",
                      "region"):
                if k in c:
                    extra.append(f"{k}: {c[k]}")
            rows.append([c["name"], c.get("kind"), c.get("replicas"), c.get("cores"), c.get("workers"), c.get("queue"),
                         c.get("cpu", "–"), "; ".join(extra)])
        out.append("<h3>Components</h3>" + table(
            ["component", "kind", "replicas", "cores / replica", "workers / replica", "queue / replica",
             "CPU per request", "other"], rows, [False, False, True, True, True, True, False, False]))
    return "\n".join(out)


def assumptions_from_summary(s, d):
    comps = s.get("components") or {}
    rows = [[name, c.get("kind"), c.get("replicas")] for name, c in comps.items()]
    return (f"<p class='muted'>This folder carries no copy of the topology (no <code>topology.yaml</code>), so "
            f"only what the run recorded is known: topology <b>{esc(s.get('topology'))}</b>, seed "
            f"{esc(s.get('seed'))}, a measured window of {fmt(s.get('sim_time_s'))} s after "
            f"{fmt(s.get('warmup_s'))} s of warm-up. Client rates, the request mix, cores, workers and the "
            f"network rtt are not recorded here; pass <code>archsim report {esc(d)} --topology FILE</code> "
            f"(with the run's <code>--set</code> overrides) to state them.</p>"
            + table(["component", "kind", "replicas"], rows, [False, False, True]))


# ---------------------------------------------------------------------------------------------
# Pages

def page(title, body):
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head>\n<body>\n{body}\n<script>{SCRIPT}</script>\n</body></html>\n")


def cells_table(t):
    """A report.json table: its cells as archsim formatted them; a row's detail lines under it."""
    align = t.get("align") or ""
    cols = t.get("columns") or []
    out = ["<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"]
    for row in t.get("rows") or []:
        cells = row.get("cells") or []
        out.append("<tr>" + "".join(
            f"<td class='n'>{esc(c)}</td>" if i < len(align) and align[i] == "r" else f"<td>{esc(c)}</td>"
            for i, c in enumerate(cells)) + "</tr>")
        detail = [ln.strip() for ln in (row.get("detail") or "").splitlines() if ln.strip()]
        if detail:
            out.append(f"<tr class='detail'><td colspan='{len(cols)}'>" + "<br>".join(esc(ln) for ln in detail)
                       + "</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def text_html(text, css=""):
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        return ""
    cls = f" class='{css}'" if css else ""
    return f"<div{cls}>" + "".join(f"<p>{esc(ln)}</p>" for ln in lines) + "</div>"


def sections_html(doc):
    """report.json's sections, in the terminal's order, with the terminal's values."""
    parts = []
    for sec in doc.get("sections") or []:
        blocks = [b for b in sec.get("blocks") or [] if (b.get("text") or "").strip() or b.get("table")]
        if not blocks:
            continue
        parts.append(f"<h2 id='sec-{esc(sec.get('id'))}'>{esc(sec.get('title'))}</h2>")
        css = "verdict" if sec.get("id") == "bottleneck" or sec.get("alert") else ""
        for b in blocks:
            t = b.get("table")
            if t is None or not b.get("table_is_text", True):
                parts.append(text_html(b.get("text"), css))
            if t is not None:
                parts.append(cells_table(t))
    return "\n".join(parts)


def design_svg(d):
    """topology.dot drawn by Graphviz, inline; None (and why) when it cannot be drawn."""
    dot = os.path.join(d, "topology.dot")
    if not os.path.exists(dot):
        return None, "this folder has no topology.dot"
    try:
        out = subprocess.run(["dot", "-Tsvg", dot], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"Graphviz's dot could not draw it ({e}); install it with scripts/install-deps.sh"
    if out.returncode != 0:
        return None, f"Graphviz's dot failed: {out.stderr.strip()[:300]}"
    svg = out.stdout
    svg = svg[svg.find("<svg"):]  # no XML prolog or doctype inside HTML
    # Scale to the page: drop the fixed size, keep the viewBox.
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', "<svg class='design'", svg, count=1)
    return svg, None


def run_report(d, assumptions):
    run = plot.Run(d)
    s = run.summary
    index = ensure_figures(d)
    doc_path = os.path.join(d, "report.json")
    if not os.path.exists(doc_path):
        raise plot.BadInput(f"{d}: error: no report.json in this run folder (archsim run --out writes it with "
                            "the summary); run the topology again with --out to get the full report")
    with open(doc_path) as f:
        doc = json.load(f)
    body = [f"<h1>{esc(run.topology)}: run report</h1>",
            f"<p class='muted'>{esc(os.path.abspath(d))} · seed {esc(s.get('seed'))} · "
            f"{fmt(s.get('sim_time_s'))} s measured after {fmt(s.get('warmup_s'))} s warm-up</p>",
            "<h2 id='sec-design'>Design</h2>"]
    svg, why = design_svg(d)
    body.append(f"<figure id='fig-design'>{svg}<figcaption>The design as simulated (topology.dot, drawn by Graphviz)"
                "</figcaption></figure>" if svg else f"<p class='muted'>The design is not drawn: {esc(why)}.</p>")
    body.append(sections_html(doc))
    body.append("<h2>Figures</h2>")
    body.append(figures_html(d, index))
    body.append("<h2>Assumptions</h2>")
    body.append(assumptions_from_topology(assumptions) if assumptions else assumptions_from_summary(s, d))
    return page(f"{run.topology}: run report", "\n".join(body))


def estimate_text(mean, ci, n, unit=""):
    """'12.3 ± 0.4 ms', or '12.3 ± n/a ms' for a single run (no interval, rather than ± 0)."""
    if mean is None:
        return "–"
    u = f" {unit}" if unit else ""
    if ci is None:
        return f"{fmt(mean)} ± n/a{u}" if (n or 0) < 2 else f"{fmt(mean)}{u}"
    return f"{fmt(mean)} ± {fmt(ci)}{u}"


def paired_delta(exp, p, base, metric):
    """p's metric minus the base's: per replication (common seeds), then its mean and 95% interval;
    without replications in results.csv, the difference of the means (no interval)."""
    a, b = p["reps"].get(metric, {}), base["reps"].get(metric, {})
    common = [k for k in a if k in b]
    if common:
        s = plot.mean_ci([a[k] - b[k] for k in common])
        return s["mean"], s["ci95_half_width"], s["n"]
    ma, mb = exp.metric(p, metric)[0], exp.metric(base, metric)[0]
    return (None, None, None) if ma is None or mb is None else (ma - mb, None, 1)


def signed(v):
    return ("+" if v > 0 else "") + fmt(v)


def delta_text(d, ci, n, unit, base_mean=None):
    if d is None:
        return "–"
    rel = f" ({100 * d / base_mean:+.1f}%)" if base_mean and unit not in ("pp",) else ""
    interval = f" ± {fmt(ci)}" if ci is not None else (" ± n/a" if (n or 0) < 2 else "")
    return f"{signed(d)}{interval} {unit}{rel}".replace("  ", " ")


POINT_METRICS = [("throughput_rps", "throughput", "req/s"), ("latency_ms.p50", "p50", "ms"),
                 ("latency_ms.p99", "p99", "ms"), ("failure_rate_pct", "failure rate", "%"),
                 ("availability_pct", "availability", "%"), ("cost.monthly_usd", "cost", "USD/month")]
DIFF_METRICS = [("latency_ms.p50", "Δp50", "ms"), ("latency_ms.p99", "Δp99", "ms"),
                ("throughput_rps", "Δthroughput", "req/s"), ("failure_rate_pct", "Δfailure rate", "pp"),
                ("availability_pct", "Δavailability", "pp"), ("cost.monthly_usd", "Δ$/month", "USD")]


def extra_metrics(exp):
    """Per-region availability and dead-lettered messages, when the points have them."""
    out = [(m, what, "%") for m, what in exp.region_availability()]
    for m in exp.metrics_like(r"components\.[^.]+\.queue\.dead_lettered"):
        out.append((m, f"{m.split('.')[1]} dead-lettered", ""))
    return out


def points_table(exp):
    metrics = [m for m in POINT_METRICS if exp.has(m[0])]
    if not exp.has("failure_rate_pct") and exp.has("requests.failed"):
        metrics.insert(3, ("requests.failed", "failed (count)", ""))
    metrics += extra_metrics(exp)
    settings = exp.design_settings
    headers = ["point"] + [plot.short(k) for k in exp.grid_params] + [f"sets {plot.short(k)}" for k in settings] + \
        [f"{lab} ({u})" if u else lab for _, lab, u in metrics] + ["runs", "bottleneck"]
    rows = []
    for p in exp.points:
        cells = [exp.label(p) + (" (base)" if p is exp.base() and exp.design_keys else "")]
        # Values as the experiment file wrote them (0.5025, 20k/s), not rounded.
        cells += [str(p["params"].get(k, "")) for k in exp.grid_params]
        cells += [str(p["params"].get(k, "topology's own")) for k in settings]
        for m, _, _ in metrics:
            mean, ci = exp.metric(p, m)
            cells.append(estimate_text(mean, ci, p["metrics"].get(m, {}).get("n")))
        cells += [p.get("replications"), exp.bottleneck(p) or "–"]
        rows.append(cells)
    return table(headers, rows, [False] * len(headers))


def diff_table(exp):
    """Each design against the base (the file's first variant): differences paired by seed."""
    base = exp.base()
    metrics = [m for m in DIFF_METRICS if exp.has(m[0])]
    if not metrics or len(exp.points) < 2:
        return ""
    rows = []
    for p in exp.points[1:]:
        cells = [exp.label(p)]
        for m, _, unit in metrics:
            d, ci, n = paired_delta(exp, p, base, m)
            cells.append(delta_text(d, ci, n, unit, exp.metric(base, m)[0] if unit not in ("pp", "USD") else None))
        rows.append(cells)
    reps = max(p.get("replications") or 0 for p in exp.points)
    note = ("differences paired by replication (the same seeds), mean ± 95% CI" if reps > 1 else
            "one replication per point: differences without an interval (n/a)")
    return (f"<p>Against the base design <b>{esc(exp.label(base))}</b> (the experiment file's first); {note}; "
            "relative changes in brackets.</p>"
            + table(["design"] + [lab for _, lab, _ in metrics], rows, [False] * (len(metrics) + 1)))


def experiment_verdict(exp):
    verdict = []
    nums = exp.numeric_params()
    if nums and not exp.design_keys and not exp.categorical_params() and exp.has("latency_ms.p99"):
        x = next((k for k in nums if plot.is_load(k)), nums[0])
        pts = sorted(exp.points, key=lambda p: plot.quantity(p["params"][x])[0])
        if len(nums) == 1:
            k = plot.knee_index([exp.metric(p, "latency_ms.p99")[0] for p in pts])
            verdict.append(f"The knee: p99 first exceeds twice its minimum at {esc(plot.short(x))} = "
                           f"{esc(pts[k]['params'][x])} (p99 {fmt(exp.metric(pts[k], 'latency_ms.p99')[0])} ms)."
                           if k is not None else "No knee: p99 stays within twice its minimum over the sweep.")
    with_p99 = [p for p in exp.points if exp.metric(p, "latency_ms.p99")[0] is not None]
    if with_p99:
        best = min(with_p99, key=lambda p: exp.metric(p, "latency_ms.p99")[0])
        worst = max(with_p99, key=lambda p: exp.metric(p, "latency_ms.p99")[0])
        verdict.append(f"Lowest p99: {esc(exp.label(best))} ({fmt(exp.metric(best, 'latency_ms.p99')[0])} ms); "
                       f"highest: {esc(exp.label(worst))} ({fmt(exp.metric(worst, 'latency_ms.p99')[0])} ms).")
    if exp.has("failure_rate_pct"):
        failing = [p for p in exp.points if (exp.metric(p, "failure_rate_pct")[0] or 0) > 0]
        if failing:
            verdict.append("Failing requests: " + esc(", ".join(
                f"{exp.label(p)} {fmt(exp.metric(p, 'failure_rate_pct')[0])}%" for p in failing)) + ".")
        else:
            verdict.append("No point failed a request.")
    seen = []
    for p in exp.points:
        b = exp.bottleneck(p)
        if b and b not in [x[1] for x in seen]:
            seen.append((exp.label(p), b))
    if seen:
        verdict.append("Bottlenecks (most frequent over replications): " +
                       esc("; ".join(f"{b} ({lab})" for lab, b in seen)) + ".")
    return verdict


def varied_text(exp):
    parts = []
    for k in exp.design_keys:
        names = []
        for p in exp.points:
            if p["params"].get(k) not in names and p["params"].get(k) is not None:
                names.append(p["params"][k])
        parts.append(f"{len(names)} {k}s ({', '.join(map(str, names))})")
    if exp.grid_params:
        parts.append("swept: " + ", ".join(plot.short(k) for k in exp.grid_params))
    return "; ".join(parts) or "nothing (one point)"


def seconds(v):
    return "–" if v is None else f"{v:g}"


def point_assumptions(exp):
    """What each point ran, from its own run folder: summary.json's window and seed, the overrides
    it ran with (overrides.txt) and its topology copy; the replicas that differ from the base's."""
    base_s = exp.summary(exp.base()) or {}
    base_reps = {n: c.get("replicas") for n, c in (base_s.get("components") or {}).items()}
    rows = []
    for p in exp.points:
        d = exp.run_dir(p)
        s = exp.summary(p) or {}
        overrides = []
        if d and os.path.exists(os.path.join(d, "overrides.txt")):
            with open(os.path.join(d, "overrides.txt")) as f:
                overrides = [ln.strip() for ln in f if ln.strip()]
        overrides = overrides or p.get("sets") or []
        copy = os.path.relpath(os.path.join(d, "topology.yaml"), exp.dir) if d and os.path.exists(
            os.path.join(d, "topology.yaml")) else "–"
        window = (f"{seconds(s.get('sim_time_s'))} s after {seconds(s.get('warmup_s'))} s warm-up" if s else "no run")
        comps = s.get("components") or {}
        changed = [f"{n} x{c.get('replicas')}" for n, c in comps.items()
                   if p is not exp.base() and base_reps.get(n) != c.get("replicas")]
        rows.append([exp.label(p), s.get("topology") or p.get("topology") or "–", copy, window, s.get("seed"),
                     "; ".join(overrides) or "none", ", ".join(changed) or "–"])
    return ("<p>Each point as it ran, from its own first run folder (<code>points/&lt;id&gt;/r1/</code>): the topology "
            "it ran (and its copy there), the measured window and seed from its summary.json, the overrides it ran "
            "with (overrides.txt: the experiment's <code>set:</code>, the variant's, the grid's and "
            "<code>--set</code>), and the component replicas that differ from the base design's. "
            "<code>archsim report points/&lt;id&gt;/r1</code> states a point's full numbers.</p>"
            + table(["point", "topology", "topology copy", "window", "seed", "overrides", "replicas vs base"], rows,
                    [False] * 7))


def experiment_report(d, assumptions):
    exp = plot.Experiment(d)
    index = ensure_figures(d)
    body = [f"<h1>{esc(exp.topology)}: experiment {esc(exp.name)}</h1>",
            f"<p class='muted'>{esc(os.path.abspath(d))} · {len(exp.points)} points · varied: "
            f"{esc(varied_text(exp))}</p>"]
    if exp.meta.get("description"):
        body.append(f"<p>{esc(exp.meta['description'])}</p>")
    verdict = experiment_verdict(exp)
    body += ["<h2>Verdict</h2>", "<div class='verdict'>" + "<br>".join(verdict or ["No p99 recorded."]) + "</div>",
             "<h2 id='sec-points'>Points</h2>", "<div class='wide'>" + points_table(exp) + "</div>"]
    diff = diff_table(exp) if exp.design_keys else ""
    if diff:
        body += ["<h2 id='sec-diff'>Against the base design</h2>", "<div class='wide'>" + diff + "</div>"]
    body.append("<h2 id='sec-assumptions'>Assumptions</h2>")
    if exp.first_summary():
        body.append("<div class='wide'>" + point_assumptions(exp) + "</div>")
    else:
        body.append(f"<p class='muted'>Topology {esc(exp.topology)}; no run folder under points/, so nothing "
                    "more is known here.</p>")
    if assumptions:
        body.append("<p>The topology file given with <code>--topology</code>, before each point's overrides above "
                    "(its run length and warm-up are the file's, not the points'):</p>")
        body.append(assumptions_from_topology(assumptions))
    body += ["<h2>Figures</h2>", figures_html(d, index)]
    return page(f"{exp.topology}: experiment {exp.name}", "\n".join(body))


def main(argv):
    args = argv[1:]
    assumptions = None
    if "--assumptions" in args:
        i = args.index("--assumptions")
        with open(args[i + 1]) as f:
            assumptions = json.load(f)
        del args[i:i + 2]
    if len(args) != 1:
        print("usage: report.py DIR [--assumptions FILE]", file=sys.stderr)
        return 2
    d = args[0]
    try:
        kind = plot.folder_kind(d)
        text = run_report(d, assumptions) if kind == "run" else experiment_report(d, assumptions)
    except plot.BadInput as e:
        print(e, file=sys.stderr)
        return 2
    out = os.path.join(d, "report.html")
    try:
        with open(out + ".tmp", "w") as f:
            f.write(text)
        os.replace(out + ".tmp", out)
    except OSError as e:
        print(f"{out}: error: cannot write the report: {e.strerror}; choose a folder that can be written",
              file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
