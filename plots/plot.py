#!/usr/bin/env python3
"""Figures of an archsim run folder or experiment folder, as PNG and SVG in DIR/figures/.

    python3 plots/plot.py DIR          (what `archsim plot DIR` runs)

The folder kind is told by which files exist: results.csv or results.json make an experiment
folder (`archsim experiment --out`), summary.json a run folder (`archsim run --out`). Every file is
read by its documented column and key names (docs/outputs.md, docs/plots.md), never by position,
so extra columns are ignored and missing optional ones only drop a figure.

Besides the figures, DIR/figures/index.json lists them (name, title, caption) in the order a
report shows them. Exit codes: 0 done, 2 not a run or experiment folder, 1 anything else.

Left out on purpose: interactive output, styling beyond legibility, and any statistics beyond
the mean and 95% interval the experiment runner already reports.
"""
import csv
import json
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 110
BOTTLENECK_COLOR = "#d62728"
SATURATION = 0.9  # the verdict's threshold (docs/outputs.md)
RESOURCES = [("util_cpu", "cpu", "CPU"), ("util_io", "io", "disk I/O"),
             ("util_workers", "workers", "workers / connections"), ("util_network", "network", "network (NIC)")]
RESOURCE_COLORS = {"cpu": "#1f77b4", "io": "#ff7f0e", "workers": "#2ca02c", "network": "#9467bd"}
# Series colours that never reuse the bottleneck red.
SERIES = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def series_color(i):
    return SERIES[i % len(SERIES)]


class BadInput(Exception):
    """The folder is not something we can plot: exit 2 with the message."""


# ---------------------------------------------------------------------------------------------
# Reading

def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(text):
    """A CSV cell as a float; None for an empty or non-numeric cell."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def dig(obj, dotted, default=None):
    """summary['a']['b'] for 'a.b', or default."""
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return default
        obj = obj[part]
    return obj


def folder_kind(d):
    if not os.path.isdir(d):
        raise BadInput(f"{d}: error: not a directory; give a folder written by `archsim run --out` or "
                       "`archsim experiment --out`")
    if os.path.exists(os.path.join(d, "results.csv")) or os.path.exists(os.path.join(d, "results.json")):
        return "experiment"
    if os.path.exists(os.path.join(d, "summary.json")):
        return "run"
    raise BadInput(f"{d}: error: neither summary.json (a run folder) nor results.csv / results.json (an "
                   "experiment folder) is there")


class Run:
    """A run folder: summary.json, components.csv, latency_histogram.csv, timeseries.csv."""

    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, "summary.json")) as f:
            self.summary = json.load(f)
        self.topology = self.summary.get("topology") or os.path.basename(os.path.abspath(d))
        self.components = self._csv("components.csv")
        self.histogram = self._csv("latency_histogram.csv")
        self.timeseries = self._csv("timeseries.csv")
        self.faults = [f for f in (self.summary.get("faults") or []) if isinstance(f, dict)]

    def _csv(self, name):
        p = os.path.join(self.dir, name)
        return read_csv(p) if os.path.exists(p) else []

    def percentiles(self, rtype):
        lat = self.summary.get("latency_ms") or {}
        src = lat if rtype == "all" else dig(lat, f"by_type.{rtype}", {})
        return [(label, src.get(key)) for key, label in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"))
                if isinstance(src.get(key), (int, float))]

    def bottleneck(self):
        b = self.summary.get("bottleneck") or {}
        return b.get("component"), b.get("resource"), b.get("evidence", "")

    def client_names(self):
        """Clients: timeseries components whose utilization is always empty (docs/outputs.md)."""
        seen, util = [], {}
        for r in self.timeseries:
            c = r.get("component")
            if c not in util:
                seen.append(c)
                util[c] = False
            if num(r.get("utilization")) is not None:
                util[c] = True
        clients = [c for c in seen if not util[c]]
        if not clients:
            servers = {r.get("component") for r in self.components}
            clients = [c for c in seen if c not in servers]
        return clients, [c for c in seen if c not in clients]


T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042}


def t95(dof):
    keys = sorted(k for k in T95 if k <= dof)
    return T95[keys[-1]] if keys else float("nan") if dof < 1 else 1.96 if dof > 30 else T95[1]


def mean_ci(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    n = len(values)
    if n == 0:
        return None
    m = sum(values) / n
    if n < 2:
        return {"mean": m, "ci95_half_width": 0.0, "n": n}
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    return {"mean": m, "ci95_half_width": (t95(n - 1) if n <= 31 else 1.96) * sd / math.sqrt(n), "n": n}


METRIC_RE = re.compile(r"^(throughput_rps|sim_time_s|latency_ms\.|requests\.|bottleneck\.|cost\.|region_links\.|"
                       r"components\.[^.]+\.(utilization\.|throughput_rps$|mean_|p50_|p99_|max_|hit_ratio$|arrivals$|"
                       r"completed$|failed$|rejected$|littles_law\.))")
ID_COLUMNS = ("point", "replication", "seed")
CATEGORICAL = ("variant", "mutation")

_UNIT = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
_TIME = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}
_QTY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ%/]*)\s*$")


def quantity(value):
    """A parameter value as (number, unit): 20k/s -> (20000, 'req/s'), 500us -> (0.5, 'ms'), 16 -> (16, '').
    None when it is not a number (a variant name)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value), ""
    m = _QTY.match(str(value))
    if not m:
        return None
    x, suffix = float(m.group(1)), m.group(2)
    if suffix.endswith("/s"):
        mult = suffix[:-2]
        return (x * _UNIT[mult], "req/s") if mult in _UNIT else None
    if suffix in _TIME:
        return x * _TIME[suffix] * 1e3, "ms"
    if suffix in _UNIT:
        return x * _UNIT[suffix], ""
    if suffix.endswith("bps") and suffix[:-3] in _UNIT:
        return x * _UNIT[suffix[:-3]] / 1e9, "Gbps"
    return None


class Experiment:
    """An experiment folder: results.csv (one row per point and replication) and/or results.json
    (per point: parameters, and per numeric metric {mean, ci95_half_width, n})."""

    def __init__(self, d):
        self.dir = d
        p_csv, p_json = os.path.join(d, "results.csv"), os.path.join(d, "results.json")
        self.rows = read_csv(p_csv) if os.path.exists(p_csv) else []
        self.meta = {}
        json_points = []
        if os.path.exists(p_json):
            with open(p_json) as f:
                json_points = self._json_points(json.load(f))
        columns = list(self.rows[0].keys()) if self.rows else []
        if json_points:
            names = []
            for p in json_points:
                names += [k for k in p["params"] if k not in names]
            order = {c: i for i, c in enumerate(columns)}
            self.params = sorted(names, key=lambda k: order.get(k, len(order)))
        else:
            self.params = [c for c in columns if c not in ID_COLUMNS and (c in CATEGORICAL or not METRIC_RE.match(c))]
        self.points = json_points or self._csv_points()
        self._fill_from_csv()
        self.topology = self._topology_name()
        self.name = self.meta.get("name") or self.meta.get("experiment") or os.path.basename(os.path.abspath(d))

    # results.json: tolerate {points: [...]}, {points: {id: ...}}, [...] or {id: ...}.
    def _json_points(self, data):
        raw = data
        if isinstance(data, dict):
            self.meta = {k: v for k, v in data.items() if not isinstance(v, (dict, list))}
            raw = data.get("points", data.get("results", data))
        items = list(raw.items()) if isinstance(raw, dict) else list(enumerate(raw)) if isinstance(raw, list) else []
        points = []
        for key, p in items:
            if not isinstance(p, dict) or "parameters" not in p:
                continue
            pid = str(p.get("id", p.get("point", key)))
            params = dict(p.get("parameters") or {})
            metrics = {}
            src = p.get("metrics") if isinstance(p.get("metrics"), dict) else p
            for k, v in src.items():
                if isinstance(v, dict) and isinstance(v.get("mean"), (int, float)):
                    metrics[k] = {"mean": float(v["mean"]), "ci95_half_width": float(v.get("ci95_half_width") or 0),
                                  "n": v.get("n")}
            points.append({"id": pid, "params": params, "metrics": metrics, "labels": {}})
        return points

    def _csv_points(self):
        points, index = [], {}
        for r in self.rows:
            pid = r.get("point", "")
            if pid not in index:
                index[pid] = len(points)
                points.append({"id": pid, "params": {k: r.get(k, "") for k in self.params}, "metrics": {},
                               "labels": {}})
        return points

    def _fill_from_csv(self):
        """Metrics results.json lacks (or all of them without it), and text metrics such as the
        bottleneck (the most frequent value over replications)."""
        by_point = {}
        for r in self.rows:
            by_point.setdefault(r.get("point", ""), []).append(r)
        columns = list(self.rows[0].keys()) if self.rows else []
        metric_cols = [c for c in columns if c not in ID_COLUMNS and c not in self.params]
        for p in self.points:
            rows = by_point.get(p["id"], [])
            p["replications"] = len(rows)
            for c in metric_cols:
                values = [num(r.get(c)) for r in rows]
                if any(v is not None for v in values):
                    if c not in p["metrics"]:
                        s = mean_ci(values)
                        if s:
                            p["metrics"][c] = s
                else:
                    texts = [r.get(c) for r in rows if r.get(c)]
                    if texts:
                        p["labels"][c] = max(set(texts), key=texts.count)

    def _topology_name(self):
        for k in ("topology", "topology_name"):
            if isinstance(self.meta.get(k), str):
                return os.path.splitext(os.path.basename(self.meta[k]))[0]
        s = self.first_summary()
        return (s or {}).get("topology") or os.path.basename(os.path.abspath(self.dir))

    def first_summary(self):
        pts = os.path.join(self.dir, "points")
        if not os.path.isdir(pts):
            return None
        for pid in sorted(os.listdir(pts)):
            for rk in sorted(os.listdir(os.path.join(pts, pid))) if os.path.isdir(os.path.join(pts, pid)) else []:
                f = os.path.join(pts, pid, rk, "summary.json")
                if os.path.exists(f):
                    with open(f) as fh:
                        return json.load(fh)
        return None

    def metric(self, p, name):
        m = p["metrics"].get(name)
        return (m["mean"], m.get("ci95_half_width") or 0.0) if m else (None, None)

    def has(self, name):
        return any(name in p["metrics"] for p in self.points)

    def numeric_params(self):
        out = []
        for k in self.params:
            if k in CATEGORICAL:
                continue
            qs = [quantity(p["params"].get(k)) for p in self.points]
            if qs and all(q is not None for q in qs):
                out.append(k)
        return out

    def categorical_params(self):
        return [k for k in self.params if k not in self.numeric_params()]

    def label(self, p, params=None):
        params = self.params if params is None else params
        if len(params) == 1:
            return str(p["params"].get(params[0]))
        return ", ".join(f"{short(k)}={p['params'].get(k)}" for k in params) or p["id"]

    def bottleneck(self, p):
        c = p["labels"].get("bottleneck.component")
        r = p["labels"].get("bottleneck.resource")
        return f"{c}/{r}" if c and r else c or ""


def short(path):
    """components.users.arrival.rate -> users.arrival.rate: the part a reader needs."""
    return path[len("components."):] if path.startswith("components.") else path


def is_load(path):
    return bool(re.search(r"(arrival\.rate|\.rate$|arrival\.users|\.users$)", path))


def axis_label(path, unit):
    if is_load(path) and unit == "req/s":
        return f"offered load: {short(path)} (req/s)"
    return f"{short(path)} ({unit})" if unit else short(path)


# ---------------------------------------------------------------------------------------------
# Figures

class Figures:
    def __init__(self, d):
        self.dir = os.path.join(d, "figures")
        try:
            os.makedirs(self.dir, exist_ok=True)
        except OSError as e:
            raise BadInput(f"{self.dir}: error: cannot create the folder: {e.strerror}; "
                           "choose a folder that can be created and written")
        self.index = []

    def save(self, fig, name, title, caption):
        fig.savefig(os.path.join(self.dir, name + ".png"), dpi=DPI)
        fig.savefig(os.path.join(self.dir, name + ".svg"))
        plt.close(fig)
        self.index.append({"name": name, "title": title, "caption": caption,
                           "png": f"figures/{name}.png", "svg": f"figures/{name}.svg"})

    def write_index(self):
        tmp = os.path.join(self.dir, "index.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"figures": self.index}, f, indent=2)
        os.replace(tmp, os.path.join(self.dir, "index.json"))


def histogram_by_type(run):
    types = {}
    for r in run.histogram:
        lo, hi, n = num(r.get("low_ms")), num(r.get("high_ms")), num(r.get("count"))
        if lo is None or hi is None or not n:
            continue
        types.setdefault(r.get("type", "all"), []).append((lo, hi, n))
    ordered = (["all"] if "all" in types else []) + sorted(t for t in types if t != "all")
    return [(t, sorted(types[t])) for t in ordered]


PCT_STYLE = {"p50": ":", "p99": "--", "p99.9": "-."}


def fig_latency_cdf(run, figs):
    data = histogram_by_type(run)
    if not data:
        return
    fig, (ax, tail) = plt.subplots(1, 2, figsize=(12, 4.8))
    for i, (t, buckets) in enumerate(data):
        total = sum(n for _, _, n in buckets)
        xs, ys, acc = [buckets[0][0]], [0.0], 0
        for lo, hi, n in buckets:
            acc += n
            xs.append(hi)
            ys.append(acc / total)
        color = series_color(i)
        ax.plot(xs, ys, color=color, lw=2 if t == "all" else 1.3, label=f"{t} ({int(total):,} requests)")
        tail.plot(xs, [max(1 - y, 0.5 / total) for y in ys], color=color, lw=2 if t == "all" else 1.3,
                  label=f"{t}")
        for label, v in run.percentiles(t):
            if t == "all":
                for a in (ax, tail):
                    a.axvline(v, color="k", ls=PCT_STYLE[label], lw=1,
                              label=f"all {label} = {v:.3g} ms" if a is ax else None)
            else:
                q = {"p50": 0.5, "p99": 0.99, "p99.9": 0.999}[label]
                ax.plot([v], [q], marker="o", color=color, ms=5, ls="none")
                tail.plot([v], [1 - q], marker="o", color=color, ms=5, ls="none")
    ax.set_xscale("log")
    ax.set_xlabel("end-to-end latency (ms, log scale)")
    ax.set_ylabel("fraction of completed requests ≤ latency")
    ax.set_ylim(0, 1.01)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("CDF (dots: each type's p50/p99/p99.9)", fontsize=10)
    tail.set_xscale("log")
    tail.set_yscale("log")
    tail.set_xlabel("end-to-end latency (ms, log scale)")
    tail.set_ylabel("fraction of requests slower (log scale)")
    tail.grid(True, which="both", alpha=0.3)
    tail.legend(loc="lower left", fontsize=8)
    tail.set_title("tail: 1 − CDF", fontsize=10)
    title = f"{run.topology}: how long do requests take, and how long is the tail?"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "latency_cdf", title,
              "End-to-end latency of completed requests in the measured window, per request type, from "
              "latency_histogram.csv; vertical lines mark p50, p99 and p99.9 of all requests.")


def fig_latency_histogram(run, figs):
    data = histogram_by_type(run)
    if not data:
        return
    fig, axes = plt.subplots(len(data), 1, figsize=(10, 2.6 * len(data) + 0.8), sharex=True, squeeze=False)
    for i, (t, buckets) in enumerate(data):
        ax = axes[i][0]
        # One stairs artist rather than a bar per bucket: hundreds of patches make saving slow.
        edges, values = [buckets[0][0]], []
        for lo, hi, n in buckets:
            if lo > edges[-1] * (1 + 1e-9):
                values.append(0)
                edges.append(lo)
            values.append(n)
            edges.append(hi)
        ax.stairs(values, edges, fill=True, color=series_color(i), alpha=0.85,
                  label=f"{t}: {int(sum(b[2] for b in buckets)):,} requests")
        for label, v in run.percentiles(t):
            ax.axvline(v, color="k", ls=PCT_STYLE[label], lw=1, label=f"{label} = {v:.3g} ms")
        ax.set_xscale("log")
        ax.set_ylabel("requests per 1% bucket")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(f"request type: {t}", fontsize=10)
    axes[-1][0].set_xlabel("end-to-end latency (ms, log scale)")
    title = f"{run.topology}: what does the latency distribution of each request type look like?"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "latency_histogram", title,
              "Requests per histogram bucket (each 1% wide, so a log x axis shows the shape truthfully), "
              "per request type, with p50, p99 and p99.9.")


def shade_windows(ax, run, legend):
    warm = num(run.summary.get("warmup_s"))
    if warm:
        ax.axvspan(0, warm, color="0.85", alpha=0.6, lw=0, label="warm-up (not measured)" if legend else None)
    # Fault windows: summary.json `faults` (start_s, end_s; end_s null = to the end of the run) give
    # exact times; without them, the timeseries.csv column `faults` (the names of the faults active
    # during each second) shades whole seconds.
    kinds_seen = set()
    end_of_run = None
    if run.timeseries:
        end_of_run = max((num(r.get("t_s")) or 0) + 1 for r in run.timeseries)
    windows = []
    for f in run.faults:
        a, b = num(f.get("start_s")), num(f.get("end_s"))
        if a is None:
            continue
        what = f"fault: {f.get('kind', 'fault')}" + (f" {f['target']}" if f.get("target") else "")
        windows.append((a, b if b is not None else end_of_run, what))
    if not windows:
        seconds = {}
        for r in run.timeseries:
            t, names = num(r.get("t_s")), (r.get("faults") or "").strip()
            if t is not None and names:
                seconds[t] = names
        for t in sorted(seconds):
            windows.append((t, t + 1, "fault: " + seconds[t]))
    for a, b, what in windows:
        ax.axvspan(a, b if b is not None else ax.get_xlim()[1], color=BOTTLENECK_COLOR, alpha=0.15, lw=0,
                   label=what if legend and what not in kinds_seen else None)
        kinds_seen.add(what)


def fig_timeseries(run, figs):
    if not run.timeseries:
        return
    clients, servers = run.client_names()
    per_t = {}
    for r in run.timeseries:
        t = num(r.get("t_s"))
        if t is None:
            continue
        per_t.setdefault(t, []).append(r)
    ts = sorted(per_t)
    xs = [t + 0.5 for t in ts]  # each row covers the second [t, t+1)

    def client_series(col):
        return {c: [next((num(r.get(col)) for r in per_t[t] if r.get("component") == c), None) for t in ts]
                for c in clients}

    thr, p99, err = client_series("throughput_rps"), client_series("p99_ms"), client_series("errors")
    fig, axes = plt.subplots(5, 1, figsize=(11, 13), sharex=True)
    for i, c in enumerate(clients):
        color = series_color(i)
        axes[0].plot(xs, thr[c], marker="o", ms=3, color=color, label=f"{c}: completed/s")
        axes[1].plot(xs, p99[c], marker="o", ms=3, color=color, label=f"{c}: p99")
        axes[2].plot(xs, [e or 0 for e in err[c]], marker="o", ms=3, color=color, label=f"{c}: errors/s")
        avail = []
        for done, e in zip(thr[c], err[c]):
            done, e = done or 0, e or 0
            avail.append(100 * done / (done + e) if done + e > 0 else None)
        axes[3].plot(xs, avail, marker="o", ms=3, color=color, label=f"{c}: completed/(completed+errors)")
    for i, c in enumerate(servers):
        u = [next((num(r.get("utilization")) for r in per_t[t] if r.get("component") == c), None) for t in ts]
        axes[4].plot(xs, [100 * v if v is not None else None for v in u], marker="o", ms=3, color=series_color(i + len(clients)),
                     label=c)
    axes[4].axhline(100 * SATURATION, color=BOTTLENECK_COLOR, ls="--", lw=1, label="90%: saturated")
    labels = [("throughput", "completed requests/s"), ("p99 latency", "p99 end-to-end (ms)"),
              ("error rate", "failed + rejected +\ntimed out (requests/s)"), ("availability", "availability (%)"),
              ("utilization", "busiest resource (%)")]
    ymin_av = min([v for c in clients for v in [100 * (d or 0) / ((d or 0) + (e or 0)) if (d or 0) + (e or 0) else 100
                                                   for d, e in zip(thr[c], err[c])]] or [100])
    axes[3].set_ylim(min(99.0, ymin_av - 0.5), 100.2)
    axes[2].set_ylim(bottom=0)
    axes[4].set_ylim(0, 105)
    for i, (ax, (name, yl)) in enumerate(zip(axes, labels)):
        ax.set_ylabel(yl)
        ax.set_title(name, fontsize=10, loc="left")
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, (ts[-1] + 1) if ts else 1)
        shade_windows(ax, run, legend=True)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    axes[0].set_ylim(bottom=0)
    axes[-1].set_xlabel("simulated time (s)")
    title = f"{run.topology}: is the system steady over time, and what happens during faults?"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "timeseries", title,
              "Per simulated second (timeseries.csv), at the clients: completed requests/s, p99, errors/s and "
              "availability; below, each component's busiest resource. Grey: warm-up; red: fault windows "
              "from summary.json `faults`, when there are any.")


def store_series(rows):
    """store_timeseries.csv rows -> {store: {"regions": [...], "t": [...], "avail": {region: [...]}, "diverged": [...]}}."""
    out = {}
    for r in rows:
        name, region, t = r.get("store"), r.get("region"), num(r.get("t_s"))
        if not name or not region or t is None:
            continue
        s = out.setdefault(name, {"regions": [], "by_t": {}})
        if region not in s["regions"]:
            s["regions"].append(region)
        row = s["by_t"].setdefault(t, {"diverged": num(r.get("diverged_keys"))})
        attempted, ok = num(r.get("attempted")) or 0, num(r.get("ok")) or 0
        row[region] = 100 * ok / attempted if attempted else None
    for s in out.values():
        ts = sorted(s["by_t"])
        s["t"] = [t + 0.5 for t in ts]
        s["avail"] = {g: [s["by_t"][t].get(g) for t in ts] for g in s["regions"]}
        s["diverged"] = [s["by_t"][t]["diverged"] for t in ts]
    return out


def draw_store(ax_av, ax_div, run, series, legend):
    for i, g in enumerate(series["regions"]):
        ax_av.plot(series["t"], series["avail"][g], marker="o", ms=2, color=series_color(i), label=g)
    ax_div.plot(series["t"], series["diverged"], color="0.3", label="keys whose replicas disagree")
    ax_av.set_ylim(-3, 103)
    ax_av.set_ylabel("operations ok (%)")
    ax_div.set_ylabel("diverged keys")
    ax_div.set_ylim(bottom=0)
    for ax in (ax_av, ax_div):
        ax.grid(True, alpha=0.3)
        shade_windows(ax, run, legend=legend)
        ax.legend(loc="lower left", fontsize=8)


def fig_store(run, figs):
    rows = run._csv("store_timeseries.csv")
    stores = store_series(rows)
    if not stores:
        return
    fig, axes = plt.subplots(2, len(stores), figsize=(11 * len(stores), 7), sharex=True, squeeze=False)
    for j, (name, series) in enumerate(stores.items()):
        mode = dig(run.summary, f"stores.{name}.consistency", "")
        draw_store(axes[0][j], axes[1][j], run, series, legend=True)
        axes[0][j].set_title(f"store {name} ({mode}): availability per region", fontsize=10, loc="left")
        axes[1][j].set_title("divergence", fontsize=10, loc="left")
        axes[1][j].set_xlabel("simulated time (s)")
    title = f"{run.topology}: who gets errors, and when do the replicas agree again?"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "store", title,
              "Per simulated second (store_timeseries.csv): the share of each region's operations on the "
              "replicated store that succeeded, and the keys whose replicas hold different values. Red: fault "
              "windows (summary.json `faults`); grey: warm-up.")


def fig_store_compare(exp, figs):
    """Compare experiments over replicated stores: each variant's first run, side by side."""
    cats = exp.categorical_params()
    runs = []
    for p in exp.points:
        pid = p.get("id")
        d = os.path.join(exp.dir, "points", str(pid), "r1") if pid is not None else None
        if d and os.path.exists(os.path.join(d, "store_timeseries.csv")):
            runs.append((exp.label(p, cats) if cats else str(pid), Run(d)))
    if len(runs) < 2:
        return
    fig, axes = plt.subplots(2, len(runs), figsize=(7 * len(runs), 7), sharex=True, squeeze=False)
    top = 0
    for j, (label, run) in enumerate(runs):
        stores = store_series(run._csv("store_timeseries.csv"))
        name, series = next(iter(stores.items()))
        mode = dig(run.summary, f"stores.{name}.consistency", "")
        draw_store(axes[0][j], axes[1][j], run, series, legend=j == 0)
        stale = dig(run.summary, f"stores.{name}.stale_reads", 0)
        lost = dig(run.summary, f"stores.{name}.lost_acknowledged_writes", 0)
        axes[0][j].set_title(f"{label} ({mode}): availability per region", fontsize=10, loc="left")
        axes[1][j].set_title(f"divergence; {stale} stale reads, {lost} lost writes", fontsize=10, loc="left")
        axes[1][j].set_xlabel("simulated time (s)")
        top = max([top] + [v for v in series["diverged"] if v is not None])
    for j in range(len(runs)):  # one divergence scale for every variant, so heights compare
        axes[1][j].set_ylim(0, top * 1.05 if top > 0 else 1)
    title = f"{exp.name}: what each consistency mode costs under the partition"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "store_compare", title,
              "Each variant's first replication (points/<id>/r1/store_timeseries.csv): availability of each "
              "region's operations and the diverged keys per second, with the fault windows shaded.")


def fig_utilization(run, figs):
    comps = [r for r in run.components if any(num(r.get(col)) is not None for col, _, _ in RESOURCES)]
    if not comps:
        return
    resources = [res for res in RESOURCES if any(num(r.get(res[0])) is not None for r in comps)]
    b_comp, b_res, evidence = run.bottleneck()
    width = 0.8 / len(resources)
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(comps) + 3), 5.2))
    top = 100
    for j, (col, key, name) in enumerate(resources):
        xs, hs, edges, lws = [], [], [], []
        for i, r in enumerate(comps):
            v = num(r.get(col))
            if v is None:
                continue
            xs.append(i - 0.4 + width * (j + 0.5))
            hs.append(100 * v)
            hit = r.get("component") == b_comp and (key == b_res or b_res not in [k for _, k, _ in RESOURCES])
            edges.append(BOTTLENECK_COLOR if hit else "none")
            lws.append(3 if hit else 0)
            top = max(top, 100 * v)
            if hit:
                ax.annotate(f"bottleneck\n{b_comp}/{b_res}\n{100 * v:.0f}%", (xs[-1], 100 * v),
                            xytext=(0, 8), textcoords="offset points", ha="center", fontsize=9,
                            color=BOTTLENECK_COLOR, fontweight="bold")
        ax.bar(xs, hs, width=width * 0.95, color=RESOURCE_COLORS[key], edgecolor=edges, linewidth=lws)
    line = ax.axhline(100 * SATURATION, color=BOTTLENECK_COLOR, ls="--", lw=1)
    # Legend entries drawn by hand: the bars' own would carry the bottleneck's red outline.
    from matplotlib.patches import Patch
    handles = [Patch(color=RESOURCE_COLORS[key], label=name) for _, key, name in resources]
    if b_comp:
        handles.append(Patch(facecolor="white", edgecolor=BOTTLENECK_COLOR, linewidth=3, label="the verdict's bottleneck"))
    handles.append(line)
    line.set_label("90%: the verdict's saturation line")
    ax.set_xticks(range(len(comps)))
    ticks = []
    for r in comps:
        reps = r.get("replicas")
        ticks.append(f"{r.get('component')}\n{r.get('kind', '')}" + (f" x{reps}" if reps not in (None, "", "1") else ""))
    ax.set_xticklabels(ticks)
    for lab, r in zip(ax.get_xticklabels(), comps):
        if r.get("component") == b_comp:
            lab.set_color(BOTTLENECK_COLOR)
            lab.set_fontweight("bold")
    ax.set_ylim(0, top * 1.22)
    ax.set_ylabel("utilization over the measured window (%)")
    ax.set_xlabel("component (kind x replicas)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    title = f"{run.topology}: which resource saturates first?"
    ax.set_title(title + (f"\nverdict: {b_comp} is {b_res}-bound" if b_comp else ""), fontsize=12)
    fig.tight_layout()
    figs.save(fig, "utilization", title,
              "Utilization of each component's CPU, disk, worker pool and busiest NIC (components.csv), with "
              "the bottleneck from summary.json outlined in red. " + (evidence or ""))


# --- experiments ---

def knee_index(ys):
    """The first point whose p99 exceeds twice the smallest p99 seen so far or later: where the
    hockey stick turns up. None when p99 stays within 2x of its minimum."""
    valid = [y for y in ys if y is not None]
    if len(valid) < 2:
        return None
    lo = min(valid)
    for i, y in enumerate(ys):
        if y is not None and y > 2 * lo:
            return i
    return None


def exp_title(exp, question):
    name = f" ({exp.name})" if exp.name and exp.name != exp.topology else ""
    return f"{exp.topology}{name}: {question}"


def fig_sweep(exp, figs):
    nums = exp.numeric_params()
    if not nums or exp.categorical_params() or not exp.has("latency_ms.p99"):
        return
    x_param = next((k for k in nums if is_load(k)), nums[0])
    others = [k for k in nums if k != x_param]
    unit = quantity(exp.points[0]["params"][x_param])[1]
    groups = {}
    for p in exp.points:
        key = tuple(str(p["params"].get(k)) for k in others)
        groups.setdefault(key, []).append(p)
    fig, ax = plt.subplots(figsize=(10, 5.5))
    all_y = []
    knee_notes = []
    for gi, (key, pts) in enumerate(list(groups.items())[:10]):
        pts = sorted(pts, key=lambda p: quantity(p["params"][x_param])[0])
        xs = [quantity(p["params"][x_param])[0] for p in pts]
        ys = [exp.metric(p, "latency_ms.p99")[0] for p in pts]
        es = [exp.metric(p, "latency_ms.p99")[1] or 0 for p in pts]
        all_y += [y for y in ys if y]
        suffix = ", ".join(f"{short(k)}={v}" for k, v in zip(others, key))
        color = series_color(gi)
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=4, color=color,
                    label="p99 ± 95% CI" + (f" ({suffix})" if suffix else ""))
        if exp.has("latency_ms.p50"):
            ax.plot(xs, [exp.metric(p, "latency_ms.p50")[0] for p in pts], marker=".", ls=":", color=color,
                    label="p50" + (f" ({suffix})" if suffix else ""))
        k = knee_index(ys)
        if k is not None:
            ax.plot([xs[k]], [ys[k]], marker="*", ms=18, color=BOTTLENECK_COLOR, ls="none",
                    label=f"knee at {short(x_param)}={pts[k]['params'][x_param]}: p99 > 2x its minimum"
                    if not knee_notes else None)
            knee_notes.append(pts[k]["params"][x_param])
        for p, x, y in zip(pts, xs, ys):
            b = exp.bottleneck(p)
            if b and y is not None and len(groups) == 1:
                ax.annotate(b, (x, y), xytext=(-4, 8), textcoords="offset points", fontsize=7, color="0.3",
                            ha="right")
    if all_y and max(all_y) / max(min(all_y), 1e-9) > 100:
        ax.set_yscale("log")
        ax.set_ylabel("end-to-end latency (ms, log scale)")
    else:
        ax.set_ylim(bottom=0)
        ax.set_ylabel("end-to-end latency (ms)")
    ax.set_xlabel(axis_label(x_param, unit))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    q = "where does p99 turn up as load grows?" if is_load(x_param) else f"how does p99 change with {short(x_param)}?"
    title = exp_title(exp, q)
    ax.set_title(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "sweep_p99", title,
              f"Mean p99 (and p50) over replications against {short(x_param)}, error bars the 95% confidence "
              "interval; the star marks the knee, the first point whose p99 is more than twice the lowest. "
              + (f"Knee: {short(x_param)} = {knee_notes[0]}." if knee_notes else "No knee: p99 stays within 2x."))
    if len(nums) == 2:
        fig_heatmap(exp, figs, x_param, others[0])


def fig_heatmap(exp, figs, xp, yp):
    xv = sorted({quantity(p["params"][xp])[0]: p["params"][xp] for p in exp.points}.items())
    yv = sorted({quantity(p["params"][yp])[0]: p["params"][yp] for p in exp.points}.items())
    grid = [[None] * len(xv) for _ in yv]
    xi = {x: i for i, (x, _) in enumerate(xv)}
    yi = {y: i for i, (y, _) in enumerate(yv)}
    for p in exp.points:
        v = exp.metric(p, "latency_ms.p99")[0]
        grid[yi[quantity(p["params"][yp])[0]]][xi[quantity(p["params"][xp])[0]]] = v
    vals = [v for row in grid for v in row if v is not None]
    if not vals:
        return
    from matplotlib.colors import LogNorm, Normalize
    norm = LogNorm(min(vals), max(vals)) if min(vals) > 0 and max(vals) / min(vals) > 20 else Normalize(min(vals), max(vals))
    masked = [[float("nan") if v is None else v for v in row] for row in grid]
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(xv) + 3), max(4.5, 0.7 * len(yv) + 2.5)))
    im = ax.imshow(masked, origin="lower", aspect="auto", cmap="viridis", norm=norm)
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v is not None:
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="white" if norm(v) < 0.6 else "black")
    ax.set_xticks(range(len(xv)))
    ax.set_xticklabels([str(s) for _, s in xv])
    ax.set_yticks(range(len(yv)))
    ax.set_yticklabels([str(s) for _, s in yv])
    ax.set_xlabel(axis_label(xp, quantity(xv[0][1])[1]))
    ax.set_ylabel(axis_label(yp, quantity(yv[0][1])[1]))
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("mean p99 end-to-end latency (ms)")
    # A heatmap's legend is its colour bar; a proxy entry names what the numbers in the cells are.
    ax.plot([], [], ls="none", marker="s", color="0.5", label="cell: mean p99 (ms) over replications")
    ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(0, -0.14))
    title = exp_title(exp, f"p99 over {short(xp)} and {short(yp)}")
    ax.set_title(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "sweep_heatmap", title,
              f"Mean p99 for each combination of {short(xp)} and {short(yp)}; empty cells were not run.")


def fig_compare(exp, figs):
    cats = exp.categorical_params()
    if not cats:
        return
    pts = exp.points
    labels = [exp.label(p, cats if len(exp.params) > 1 else None) for p in pts]
    ticks = [f"{lab}\n({exp.bottleneck(p)})" if exp.bottleneck(p) else lab for lab, p in zip(labels, pts)]
    panels = [(m, yl) for m, yl in (("latency_ms.p99", "p99 end-to-end (ms)"), ("latency_ms.p50", "p50 end-to-end (ms)"),
                                    ("throughput_rps", "throughput (completed req/s)"),
                                    ("requests.failed", "failed requests (count)"),
                                    ("cost.monthly_usd", "cost (USD / month)")) if exp.has(m)]
    if not panels:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8, 1.3 * len(pts) + 3), 2.9 * len(panels) + 1), squeeze=False)
    for ax, (m, yl) in zip([a[0] for a in axes], panels):
        ys = [exp.metric(p, m)[0] for p in pts]
        es = [exp.metric(p, m)[1] or 0 for p in pts]
        ax.bar(range(len(pts)), [y or 0 for y in ys], yerr=es, capsize=5, color=[series_color(i) for i in range(len(pts))],
               label=f"mean ± 95% CI over replications")
        for i, (y, e) in enumerate(zip(ys, es)):
            if y is not None:
                ax.annotate(f"{y:,.0f}" if abs(y) >= 1000 else f"{y:.3g}", (i + 0.08, y + e), xytext=(0, 2),
                            textcoords="offset points", ha="left", fontsize=8)
        ax.set_ylabel(yl)
        ax.set_xticks(range(len(pts)))
        ax.set_xticklabels(ticks, fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        top = max([(y or 0) + e for y, e in zip(ys, es)] or [1])
        ax.set_ylim(0, top * 1.2 if top > 0 else 1)
    what = " / ".join(cats)
    axes[-1][0].set_xlabel(f"{what} (bottleneck component/resource)")
    title = exp_title(exp, f"which {what} does best?")
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "compare", title,
              f"Each {what} side by side: mean over replications with the 95% confidence interval; under each "
              "name, its most frequent bottleneck.")


def fig_cost(exp, figs):
    if not (exp.has("cost.monthly_usd") and exp.has("latency_ms.p99")):
        return
    pts = [p for p in exp.points if exp.metric(p, "cost.monthly_usd")[0] is not None
           and exp.metric(p, "latency_ms.p99")[0] is not None]
    if not pts:
        return
    fig, ax = plt.subplots(figsize=(10, 5.5))
    xs = [exp.metric(p, "cost.monthly_usd")[0] for p in pts]
    ys = [exp.metric(p, "latency_ms.p99")[0] for p in pts]
    es = [exp.metric(p, "latency_ms.p99")[1] or 0 for p in pts]
    ax.errorbar(xs, ys, yerr=es, marker="o", ls="none", capsize=4, color="C0", label="point: mean p99 ± 95% CI")
    for p, x, y in zip(pts, xs, ys):
        ax.annotate(exp.label(p), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8)
    front, best = [], float("inf")
    for x, y in sorted(zip(xs, ys)):
        if y < best:
            front.append((x, y))
            best = y
    ax.plot([f[0] for f in front], [f[1] for f in front], color=BOTTLENECK_COLOR, ls="--", lw=1.2, marker="o",
            mfc="none", ms=11,
            label="Pareto front: no cheaper point has a lower p99")
    if max(ys) / max(min(ys), 1e-9) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("cost (USD / month)")
    ax.set_ylabel("p99 end-to-end latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    title = exp_title(exp, "what does a lower p99 cost?")
    ax.set_title(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "cost_p99", title, "Each point's mean p99 against its monthly cost (cost.monthly_usd); the dashed "
              "line joins the points no cheaper point beats.")


def make_figures(d):
    """Draws every figure the folder's files allow; returns (kind, index entries)."""
    kind = folder_kind(d)
    figs = Figures(d)
    if kind == "run":
        run = Run(d)
        for f in (fig_latency_cdf, fig_latency_histogram, fig_timeseries, fig_utilization, fig_store):
            f(run, figs)
    else:
        exp = Experiment(d)
        if not exp.points:
            raise BadInput(f"{d}: error: the experiment folder has no points in results.csv / results.json")
        for f in (fig_sweep, fig_compare, fig_cost, fig_store_compare):
            f(exp, figs)
    figs.write_index()
    return kind, figs.index


def main(argv):
    if len(argv) != 2:
        print("usage: plot.py DIR", file=sys.stderr)
        return 2
    try:
        kind, index = make_figures(argv[1])
    except BadInput as e:
        print(e, file=sys.stderr)
        return 2
    for f in index:
        print(os.path.join(argv[1], f["png"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
