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
# No figure is wider than the report's page (body max-width 1150 px): 10.4 in x 110 dpi = 1144 px.
# Figures with more to show grow downwards (small multiples, one row per variant), never sideways.
MAX_WIDTH_IN = 10.4
BOTTLENECK_COLOR = "#d62728"
SATURATION = 0.9  # the verdict's threshold (docs/outputs.md)
RESOURCES = [("util_cpu", "cpu", "CPU"), ("util_io", "io", "disk I/O"),
             ("util_workers", "workers", "workers / connections"), ("util_network", "network", "network (NIC)")]
RESOURCE_COLORS = {"cpu": "#1f77b4", "io": "#ff7f0e", "workers": "#2ca02c", "network": "#9467bd"}
# Series colours that never reuse the bottleneck red; past them, the same colours with another
# line style, so the 10th and the 1st series still differ.
SERIES = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
          "#393b79", "#637939", "#8c6d31", "#7b4173", "#3182bd", "#31a354", "#756bb1"]
LINE_STYLES = ["-", "--", ":", "-."]


def series_color(i):
    return SERIES[i % len(SERIES)]


def series_style(i):
    """(colour, line style) of the i-th series: distinct for the first len(SERIES) x 4."""
    return SERIES[i % len(SERIES)], LINE_STYLES[(i // len(SERIES)) % len(LINE_STYLES)]


def figsize(width, height):
    return min(width, MAX_WIDTH_IN), height


def readable_log_axis(axis):
    """Ticks at 1, 2, 5, 10, 20, 50, ... written as plain numbers (not only 10^1, 10^2)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: plain_number(v)))
    axis.set_minor_formatter(NullFormatter())


def plain_number(v):
    if v <= 0:
        return ""
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


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
        return {"mean": m, "ci95_half_width": None, "n": n}  # one run: no interval (n/a, not ± 0)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    return {"mean": m, "ci95_half_width": (t95(n - 1) if n <= 31 else 1.96) * sd / math.sqrt(n), "n": n}


METRIC_RE = re.compile(r"^(throughput_rps|sim_time_s|warmup_s|latency_ms\.|requests\.|bottleneck\.|cost\.|region_links\.|"
                       r"availability\.|stores\.|feeds\.|steady_state\.|critical_path\.|network\.|history_check\.|"
                       r"components\.[^.]+\.(utilization\.|throughput_rps$|mean_|p50_|p99_|max_|hit_ratio$|arrivals$|"
                       r"completed$|failed$|rejected$|littles_law\.|queue\.|calls_to\.|downstream_calls\.|"
                       r"sharding\.|replication\.|connections\.|rate_limit\.|load_balancer\.|writes\.|failovers|"
                       r"evictions$|expired$|fills$|invalidations$|stampede_misses$|coalesced_misses$|filled_at_end$|"
                       r"replica_load|disk_full_rejections$|tied_cancelled$|unflushed_writes_lost$|writes_))")
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


REGION_AVAILABILITY = (r"availability\.by_client_region\.[^.]+\.availability|"
                       r"stores\.[^.]+\.availability\.by_region\.[^.]+\.availability")


class Experiment:
    """An experiment folder: results.csv (one row per point and replication) and/or results.json
    (per point: parameters, and per numeric metric {mean, ci95_half_width, n}).

    A point is named by its design (the `compare` variant and/or the mutation: `design_keys`) and
    its grid values (`grid_params`: the sweep's paths). The paths a variant's or mutation's `set:`
    writes are the design's settings (`design_settings`), not axes: a path whose value is the same
    in every point of one design is one of them."""

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
        self.design_keys = [k for k in CATEGORICAL if k in columns or any(k in p["params"] for p in json_points)]
        if json_points:
            names = []
            for p in json_points:
                names += [k for k in p["params"] if k not in names and k not in CATEGORICAL]
            order = {c: i for i, c in enumerate(columns)}
            paths = sorted(names, key=lambda k: order.get(k, len(order)))
        else:
            paths = [c for c in columns if c not in ID_COLUMNS and c not in CATEGORICAL and c != "error"
                     and not METRIC_RE.match(c)]
        self.points = json_points or self._csv_points(paths)
        if json_points:
            self._design_from_csv()
        self.grid_params, self.design_settings = self._split(paths)
        self.params = self.design_keys + self.grid_params
        self._fill_from_csv()
        self._derive()
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
            params = {k: v for k, v in (p.get("parameters") or {}).items() if v is not None}
            for k in CATEGORICAL:  # the variant and mutation names sit beside the parameters
                if isinstance(p.get(k), str) and p[k]:
                    params[k] = p[k]
            metrics = {}
            src = p.get("metrics") if isinstance(p.get("metrics"), dict) else p
            for k, v in src.items():
                if isinstance(v, dict) and isinstance(v.get("mean"), (int, float)):
                    ci = v.get("ci95_half_width")
                    metrics[k] = {"mean": float(v["mean"]), "ci95_half_width": float(ci) if isinstance(ci, (int, float))
                                  else None, "n": v.get("n")}
            labels = {}
            for k, counts in (p.get("categorical") or {}).items():
                if isinstance(counts, dict) and counts:
                    labels[k] = max(counts, key=lambda w: counts[w])
            points.append({"id": pid, "params": params, "metrics": metrics, "labels": labels, "reps": {},
                           "topology": p.get("topology"), "sets": p.get("sets") or [],
                           "failed_runs": len(p.get("failed") or [])})
        return points

    def _csv_points(self, paths):
        points, index = [], {}
        for r in self.rows:
            pid = r.get("point", "")
            if pid not in index:
                index[pid] = len(points)
                params = {k: r.get(k) for k in self.design_keys + paths if r.get(k) not in (None, "")}
                points.append({"id": pid, "params": params, "metrics": {}, "labels": {}, "reps": {},
                               "topology": None, "sets": [], "failed_runs": 0})
        return points

    def _design_from_csv(self):
        """results.json written before points carried their variant: take it from results.csv."""
        first = {}
        for r in self.rows:
            first.setdefault(r.get("point", ""), r)
        for p in self.points:
            for k in self.design_keys:
                if k not in p["params"] and first.get(p["id"], {}).get(k):
                    p["params"][k] = first[p["id"]][k]

    def _split(self, paths):
        if not self.design_keys:
            return list(paths), []
        grid, settings = [], []
        for k in paths:
            values = {}
            for p in self.points:
                values.setdefault(self.design(p), set()).add(str(p["params"].get(k)))
            (grid if any(len(v) > 1 for v in values.values()) else settings).append(k)
        return grid, settings

    def _fill_from_csv(self):
        """Metrics results.json lacks (or all of them without it), text metrics such as the
        bottleneck (the most frequent value over replications), and each replication's values
        (p["reps"][metric][replication]) for differences paired by seed."""
        by_point = {}
        for r in self.rows:
            by_point.setdefault(r.get("point", ""), []).append(r)
        columns = list(self.rows[0].keys()) if self.rows else []
        skip = set(ID_COLUMNS) | set(CATEGORICAL) | set(self.grid_params) | set(self.design_settings) | {"error"}
        metric_cols = [c for c in columns if c not in skip]
        for p in self.points:
            rows = [r for r in by_point.get(p["id"], []) if not (r.get("error") or "").strip()]
            p["replications"] = len(rows) or max([m.get("n") or 0 for m in p["metrics"].values()] or [0])
            for c in metric_cols:
                values = [num(r.get(c)) for r in rows]
                if any(v is not None for v in values):
                    p["reps"][c] = {r.get("replication"): v for r, v in zip(rows, values) if v is not None}
                    if c not in p["metrics"]:
                        s = mean_ci(values)
                        if s:
                            p["metrics"][c] = s
                else:
                    texts = [r.get(c) for r in rows if r.get(c)]
                    if texts and c not in p["labels"]:
                        p["labels"][c] = max(set(texts), key=texts.count)

    def _derive(self):
        """Rates the runner does not write: failed / generated per replication (then its mean and
        95% interval), else the ratio of the means."""
        for p in self.points:
            reps_f, reps_g = p["reps"].get("requests.failed", {}), p["reps"].get("requests.generated", {})
            rates = {k: 100 * reps_f[k] / reps_g[k] for k in reps_f if reps_g.get(k)}
            if rates:
                p["reps"]["failure_rate_pct"] = rates
                p["metrics"]["failure_rate_pct"] = mean_ci(list(rates.values()))
            else:
                f, g = self.metric(p, "requests.failed")[0], self.metric(p, "requests.generated")[0]
                if f is not None and g:
                    p["metrics"]["failure_rate_pct"] = {"mean": 100 * f / g, "ci95_half_width": None, "n": None}
            # Availability fractions as percentages: overall, per client region, per store region.
            for m in list(p["metrics"]):
                if re.fullmatch(REGION_AVAILABILITY, m):
                    v = p["metrics"][m]
                    p["metrics"]["pct:" + m] = {"mean": 100 * v["mean"], "n": v.get("n"), "ci95_half_width":
                                                None if v.get("ci95_half_width") is None else 100 * v["ci95_half_width"]}
                    if m in p["reps"]:
                        p["reps"]["pct:" + m] = {k: 100 * x for k, x in p["reps"][m].items()}
            a = p["metrics"].get("availability.availability")
            if a:
                p["metrics"]["availability_pct"] = {"mean": 100 * a["mean"], "n": a.get("n"),
                                                    "ci95_half_width": None if a.get("ci95_half_width") is None
                                                    else 100 * a["ci95_half_width"]}
                if "availability.availability" in p["reps"]:
                    p["reps"]["availability_pct"] = {k: 100 * v for k, v in p["reps"]["availability.availability"].items()}

    def _topology_name(self):
        for k in ("topology", "topology_name"):
            if isinstance(self.meta.get(k), str):
                return os.path.splitext(os.path.basename(self.meta[k]))[0]
        s = self.first_summary()
        return (s or {}).get("topology") or os.path.basename(os.path.abspath(self.dir))

    def run_dir(self, p):
        """The point's first successful run folder (points/<id>/r<k>/ holding summary.json), or None."""
        d = os.path.join(self.dir, "points", str(p["id"]))
        if not os.path.isdir(d):
            return None
        runs = sorted((x for x in os.listdir(d) if re.fullmatch(r"r\d+", x)), key=lambda x: int(x[1:]))
        for rk in runs:
            if os.path.exists(os.path.join(d, rk, "summary.json")):
                return os.path.join(d, rk)
        return None

    def summary(self, p):
        d = self.run_dir(p)
        if not d:
            return None
        with open(os.path.join(d, "summary.json")) as fh:
            return json.load(fh)

    def base(self):
        """The base design: the experiment file's first point (its first variant, its baseline)."""
        return self.points[0] if self.points else None

    def first_summary(self):
        for p in self.points:
            s = self.summary(p)
            if s:
                return s
        return None

    def metric(self, p, name):
        m = p["metrics"].get(name)
        return (m["mean"], m.get("ci95_half_width")) if m else (None, None)

    def has(self, name):
        return any(name in p["metrics"] for p in self.points)

    def metrics_like(self, pattern):
        """Metric names matching a regular expression, in first-seen order."""
        out = []
        for p in self.points:
            out += [k for k in p["metrics"] if re.fullmatch(pattern, k) and k not in out]
        return out

    def region_availability(self):
        """(metric, what) of the per-region availabilities in %, when the points have two regions or more."""
        out = []
        clients = self.metrics_like(r"pct:availability\.by_client_region\.[^.]+\.availability")
        if len(clients) > 1:
            out += [(m, f"availability, clients in {m.split('.')[2]}") for m in clients]
        stores = self.metrics_like(r"pct:stores\.[^.]+\.availability\.by_region\.[^.]+\.availability")
        if len(stores) > 1:
            out += [(m, f"store {m.split('.')[1]}: availability in {m.split('.')[4]}") for m in stores]
        return out

    def numeric_params(self):
        out = []
        for k in self.grid_params:
            qs = [quantity(p["params"].get(k)) for p in self.points]
            if qs and all(q is not None for q in qs):
                out.append(k)
        return out

    def categorical_params(self):
        nums = self.numeric_params()
        return self.design_keys + [k for k in self.grid_params if k not in nums]

    def design(self, p):
        """The variant and/or mutation of a point: 'cache', 'sharded-db / budget-cut-80'."""
        return " / ".join(str(p["params"][k]) for k in self.design_keys if p["params"].get(k) not in (None, ""))

    def label(self, p, params=None):
        """A point's name for a reader: its design's name, then its grid values (path=value)."""
        if params is None:
            params = self.params
        parts = [self.design(p)] if any(k in self.design_keys for k in params) and self.design(p) else []
        grid = [k for k in params if k not in self.design_keys and p["params"].get(k) is not None]
        if not parts and len(grid) == 1 and len(params) == 1:
            return str(p["params"][grid[0]])
        parts += [f"{short(k)}={p['params'][k]}" for k in grid]
        return ", ".join(parts) or p["id"]

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
        self.skipped = []  # [{name, why}]: figures the folder's files do not allow, and why

    def skip(self, name, why):
        self.skipped.append({"name": name, "why": why})

    def save(self, fig, name, title, caption, **extra):
        fig.savefig(os.path.join(self.dir, name + ".png"), dpi=DPI)
        fig.savefig(os.path.join(self.dir, name + ".svg"))
        width, height = fig.get_size_inches()
        plt.close(fig)
        self.index.append({"name": name, "title": title, "caption": caption,
                           "png": f"figures/{name}.png", "svg": f"figures/{name}.svg",
                           "width_px": round(width * DPI), "height_px": round(height * DPI), **extra})

    def write_index(self):
        tmp = os.path.join(self.dir, "index.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"figures": self.index, "skipped": self.skipped}, f, indent=2)
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
        figs.skip("latency_cdf", "latency_histogram.csv is missing or empty: no request completed in the window")
        return
    fig, (ax, tail) = plt.subplots(1, 2, figsize=figsize(12, 4.8))
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
    readable_log_axis(ax.xaxis)
    ax.set_xlabel("end-to-end latency (ms, log scale)")
    ax.set_ylabel("fraction of completed requests ≤ latency")
    ax.set_ylim(0, 1.01)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("CDF (dots: each type's p50/p99/p99.9)", fontsize=10)
    tail.set_xscale("log")
    tail.set_yscale("log")
    readable_log_axis(tail.xaxis)
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
        figs.skip("latency_histogram", "latency_histogram.csv is missing or empty: no request completed in the window")
        return
    fig, axes = plt.subplots(len(data), 1, figsize=figsize(10, 2.6 * len(data) + 0.8), sharex=True, squeeze=False)
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
        readable_log_axis(ax.xaxis)
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


def queue_backlogs(run):
    """{queue: [mean backlog of second 0, 1, ...]} from summary.json components.<q>.queue.backlog_by_second."""
    out = {}
    for name, c in (run.summary.get("components") or {}).items():
        series = dig(c, "queue.backlog_by_second") if isinstance(c, dict) else None
        if isinstance(series, list) and series:
            out[name] = [num(v) for v in series]
    return out


def fig_timeseries(run, figs):
    if not run.timeseries:
        figs.skip("timeseries", "timeseries.csv is missing or empty")
        return
    clients, servers = run.client_names()
    per_t = {}
    for r in run.timeseries:
        t = num(r.get("t_s"))
        if t is None:
            continue
        per_t.setdefault(t, {})[r.get("component")] = r
    ts = sorted(per_t)
    xs = [t + 0.5 for t in ts]  # each row covers the second [t, t+1)

    def series(c, col):
        return [num(per_t[t].get(c, {}).get(col)) for t in ts]

    fig, axes = plt.subplots(6, 1, figsize=figsize(11, 15), sharex=True)
    p99_top, gaps = 0, {}
    for i, c in enumerate(clients):
        color, style = series_style(i)
        thr, err = series(c, "throughput_rps"), series(c, "errors")
        # A second in which nothing completed has no latency: a gap, not a p99 of 0.
        p99 = [float("nan") if not d or v is None else v for d, v in zip(thr, series(c, "p99_ms"))]
        p99_top = max([p99_top] + [v for v in p99 if not math.isnan(v)])
        spans = []
        for t, v in zip(ts, p99):
            if math.isnan(v):
                if spans and spans[-1][1] == t:
                    spans[-1][1] = t + 1
                else:
                    spans.append([t, t + 1])
        gaps[c] = spans
        axes[0].plot(xs, thr, marker="o", ms=3, color=color, ls=style, label=f"{c}: completed/s")
        axes[1].plot(xs, p99, marker="o", ms=3, color=color, ls=style, label=f"{c}: p99 (gap: nothing completed)")
        axes[2].plot(xs, [e or 0 for e in err], marker="o", ms=3, color=color, ls=style, label=f"{c}: errors/s")
        avail = []
        for done, e in zip(thr, err):
            done, e = done or 0, e or 0
            avail.append(100 * done / (done + e) if done + e > 0 else float("nan"))
        axes[3].plot(xs, avail, marker="o", ms=3, color=color, ls=style, label=f"{c}: completed/(completed+errors)")
    # Waiting work: each component's mean queue length per second (requests waiting for a worker),
    # and each queue's backlog (messages accepted, not yet processed), from summary.json.
    waiting = 0
    for i, c in enumerate(servers):
        q = series(c, "queue_len")
        if any(v for v in q if v):
            color, style = series_style(i + len(clients))
            axes[4].plot(xs, q, color=color, ls=style, label=f"{c}: waiting for a worker")
            waiting += 1
    for i, (name, backlog) in enumerate(queue_backlogs(run).items()):
        if any(v for v in backlog if v):
            color, style = series_style(i + len(clients) + len(servers))
            axes[4].plot([t + 0.5 for t in range(len(backlog))], backlog, color=color, ls=style, lw=2,
                         label=f"{name}: queue backlog (messages)")
            waiting += 1
    if not waiting:
        axes[4].text(0.5, 0.5, "nothing waited: every queue stayed empty", transform=axes[4].transAxes,
                     ha="center", va="center", color="0.4")
    for i, c in enumerate(servers):
        color, style = series_style(i + len(clients))
        u = series(c, "utilization")
        axes[5].plot(xs, [100 * v if v is not None else None for v in u], marker="o", ms=3, color=color, ls=style,
                     label=c)
    axes[5].axhline(100 * SATURATION, color=BOTTLENECK_COLOR, ls="--", lw=1, label="90%: saturated")
    labels = [("throughput", "completed requests/s"), ("p99 latency", "p99 end-to-end (ms)"),
              ("error rate", "failed + rejected +\ntimed out (requests/s)"), ("availability", "availability (%)"),
              ("backlog", "waiting (mean per second)"), ("utilization", "busiest resource (%)")]
    av = [v for line in axes[3].get_lines() for v in line.get_ydata() if not math.isnan(v)]
    axes[3].set_ylim(min(99.0, min(av or [100]) - 0.5), 100.2)
    # The p99 axis starts at 0: 6.3 to 6.5 ms is flat, not a spike.
    axes[1].set_ylim(0, p99_top * 1.15 if p99_top > 0 else 1)
    axes[2].set_ylim(bottom=0)
    axes[4].set_ylim(bottom=0)
    axes[5].set_ylim(0, 105)
    for ax, (name, yl) in zip(axes, labels):
        ax.set_ylabel(yl)
        ax.set_title(name, fontsize=10, loc="left")
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, (ts[-1] + 1) if ts else 1)
        shade_windows(ax, run, legend=True)
        handles = ax.get_legend_handles_labels()[0]
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7 if len(handles) > 8 else 8,
                  ncol=2 if len(handles) > 12 else 1)
    axes[0].set_ylim(bottom=0)
    axes[-1].set_xlabel("simulated time (s)")
    title = f"{run.topology}: is the system steady over time, and what happens during faults?"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "timeseries", title,
              "Per simulated second (timeseries.csv), at the clients: completed requests/s, p99 (a gap where "
              "nothing completed), errors/s and availability; then what waits: each component's queue "
              "(timeseries.csv queue_len) and each queue's backlog (summary.json backlog_by_second); last, each "
              "component's busiest resource. Grey: warm-up; red: fault windows.",
              p99_gaps_s=gaps)


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
    fig, axes = plt.subplots(2 * len(stores), 1, figsize=figsize(11, 3.5 * len(stores) + 0.9), sharex=True,
                             squeeze=False)
    for j, (name, series) in enumerate(stores.items()):
        mode = dig(run.summary, f"stores.{name}.consistency", "")
        draw_store(axes[2 * j][0], axes[2 * j + 1][0], run, series, legend=True)
        axes[2 * j][0].set_title(f"store {name} ({mode}): availability per region", fontsize=10, loc="left")
        axes[2 * j + 1][0].set_title(f"store {name}: divergence", fontsize=10, loc="left")
    axes[-1][0].set_xlabel("simulated time (s)")
    title = f"{run.topology}: who gets errors, and when do the replicas agree again?"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "store", title,
              "Per simulated second (store_timeseries.csv): the share of each region's operations on the "
              "replicated store that succeeded, and the keys whose replicas hold different values. Red: fault "
              "windows (summary.json `faults`); grey: warm-up.")


def fig_store_compare(exp, figs):
    """Compare experiments over replicated stores: each variant's first run, one row per variant
    (availability per region | diverged keys), so the figure grows downwards, not sideways."""
    cats = exp.categorical_params()
    runs = []
    for p in exp.points:
        d = exp.run_dir(p)
        if d and os.path.exists(os.path.join(d, "store_timeseries.csv")):
            runs.append((exp.label(p, cats) if cats else str(p["id"]), Run(d)))
    if len(runs) < 2:
        return
    fig, axes = plt.subplots(len(runs), 2, figsize=figsize(11, 2.9 * len(runs) + 0.9), sharex=True, squeeze=False)
    top = 0
    for j, (label, run) in enumerate(runs):
        stores = store_series(run._csv("store_timeseries.csv"))
        if not stores:
            continue
        name, series = next(iter(stores.items()))
        mode = dig(run.summary, f"stores.{name}.consistency", "")
        draw_store(axes[j][0], axes[j][1], run, series, legend=True)
        stale = dig(run.summary, f"stores.{name}.stale_reads", 0)
        lost = dig(run.summary, f"stores.{name}.lost_acknowledged_writes", 0)
        axes[j][0].set_title(f"{label} ({mode}): availability per region", fontsize=9, loc="left")
        axes[j][1].set_title(f"{label}: divergence; {stale} stale reads, {lost} lost writes", fontsize=9, loc="left")
        top = max([top] + [v for v in series["diverged"] if v is not None])
    for j in range(len(runs)):  # one divergence scale for every variant, so heights compare
        axes[j][1].set_ylim(0, top * 1.05 if top > 0 else 1)
    for a in axes[-1]:
        a.set_xlabel("simulated time (s)")
    title = f"{exp.name}: what each consistency mode costs under the partition"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    figs.save(fig, "store_compare", title,
              "Each variant's first replication (points/<id>/r1/store_timeseries.csv), one row each: availability of "
              "each region's operations and the diverged keys per second (one scale for all), with the fault "
              "windows shaded.")


def fig_utilization(run, figs):
    comps = [r for r in run.components if any(num(r.get(col)) is not None for col, _, _ in RESOURCES)]
    if not comps:
        figs.skip("utilization", "components.csv is missing or has no utilization column with a value")
        return
    resources = [res for res in RESOURCES if any(num(r.get(res[0])) is not None for r in comps)]
    b_comp, b_res, evidence = run.bottleneck()
    width = 0.8 / len(resources)
    fig, ax = plt.subplots(figsize=figsize(max(8, 1.6 * len(comps) + 3), 5.2))
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
    # Past 6 components the names would run into each other at the fixed width: turn them.
    ax.set_xticklabels(ticks, rotation=30 if len(comps) > 6 else 0, ha="right" if len(comps) > 6 else "center",
                       fontsize=8 if len(comps) > 6 else 10)
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
    if not nums:
        return
    if not exp.has("latency_ms.p99"):
        figs.skip("sweep_p99", "no point has latency_ms.p99 (every run failed?)")
        return
    x_param = next((k for k in nums if is_load(k)), nums[0])
    others = [k for k in exp.grid_params if k != x_param]
    unit = quantity(exp.points[0]["params"][x_param])[1]
    groups = {}
    for p in exp.points:
        key = (exp.design(p),) + tuple(str(p["params"].get(k)) for k in others)
        groups.setdefault(key, []).append(p)
    from matplotlib.gridspec import GridSpec
    fig = plt.figure(figsize=figsize(11, 8.6))
    gs = GridSpec(2, 2, figure=fig, height_ratios=[1.25, 1])
    ax = fig.add_subplot(gs[0, :])
    ax_good, ax_fail = fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[1, 1])
    all_y, knee_notes, x_all = [], [], []
    shown = list(groups.items())[:12]
    for gi, (key, pts) in enumerate(shown):
        pts = sorted(pts, key=lambda p: quantity(p["params"][x_param])[0])
        xs = [quantity(p["params"][x_param])[0] for p in pts]
        x_all += xs
        ys = [exp.metric(p, "latency_ms.p99")[0] for p in pts]
        es = [exp.metric(p, "latency_ms.p99")[1] or 0 for p in pts]
        all_y += [y for y in ys if y]
        suffix = ", ".join([key[0]] * bool(key[0]) + [f"{short(k)}={v}" for k, v in zip(others, key[1:])])
        color, style = series_style(gi)
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=4, color=color, ls=style,
                    label="p99 ± 95% CI" + (f" ({suffix})" if suffix else ""))
        if exp.has("latency_ms.p50"):
            ax.plot(xs, [exp.metric(p, "latency_ms.p50")[0] for p in pts], marker=".", ls=":", color=color,
                    label="p50" + (f" ({suffix})" if suffix else ""))
        k = knee_index(ys)
        if k is not None:
            # Drawn last and above everything, with the legend outside the axes: never hidden.
            ax.plot([xs[k]], [ys[k]], marker="*", ms=18, color=BOTTLENECK_COLOR, mec="black", mew=0.6, ls="none",
                    zorder=10, label=f"knee at {short(x_param)}={pts[k]['params'][x_param]}: p99 > 2x its minimum"
                    if not knee_notes else None)
            knee_notes.append(pts[k]["params"][x_param])
        for p, x, y in zip(pts, xs, ys):
            b = exp.bottleneck(p)
            if b and y is not None and len(groups) == 1:
                ax.annotate(b, (x, y), xytext=(-4, 8), textcoords="offset points", fontsize=7, color="0.3",
                            ha="right")
        good = [exp.metric(p, "throughput_rps") for p in pts]
        if any(g[0] is not None for g in good):
            ax_good.errorbar(xs, [g[0] for g in good], yerr=[g[1] or 0 for g in good], marker="o", capsize=3,
                             color=color, ls=style, label=f"completed/s" + (f" ({suffix})" if suffix else ""))
        fail = [exp.metric(p, "failure_rate_pct") for p in pts]
        if any(f[0] is not None for f in fail):
            ax_fail.errorbar(xs, [f[0] for f in fail], yerr=[f[1] or 0 for f in fail], marker="o", capsize=3,
                             color=color, ls=style, label="failed / generated" + (f" ({suffix})" if suffix else ""))
    if all_y and max(all_y) / max(min(all_y), 1e-9) > 100:
        ax.set_yscale("log")
        readable_log_axis(ax.yaxis)
        ax.set_ylabel("end-to-end latency (ms, log scale)")
    else:
        ax.set_ylim(bottom=0)
        ax.set_ylabel("end-to-end latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    # A few entries: inside, where they cover the least (the star is drawn above the legend anyway);
    # many: above the axes, full width, so the columns below keep theirs.
    entries = len(ax.get_legend_handles_labels()[1])
    if entries <= 6:
        ax.legend(loc="best", fontsize=8, framealpha=0.85)
        ax.set_title("p99 (and p50) latency", fontsize=10, loc="left")
    else:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncol=2, fontsize=7, framealpha=0.85)
    from matplotlib.ticker import FuncFormatter
    if is_load(x_param) and unit == "req/s" and x_all:
        lo, hi = min(x_all), max(x_all)
        ax_good.plot([lo, hi], [lo, hi], color="0.5", ls="--", lw=1, label="offered (goodput = load)")
    if not ax_good.lines:
        ax_good.text(0.5, 0.5, "no throughput_rps recorded", transform=ax_good.transAxes, ha="center", color="0.4")
    if not ax_fail.lines:
        ax_fail.text(0.5, 0.5, "no requests.failed / requests.generated recorded", transform=ax_fail.transAxes,
                     ha="center", color="0.4")
    ax_good.set_title("goodput: completed requests/s", fontsize=10, loc="left")
    ax_good.set_ylabel("completed req/s")
    ax_good.set_ylim(bottom=0)
    ax_fail.set_title("failure rate: failed / generated", fontsize=10, loc="left")
    ax_fail.set_ylabel("failed requests (%)")
    ax_fail.set_ylim(bottom=0, top=max([1.0] + [y * 1.2 for line in ax_fail.lines for y in line.get_ydata()
                                                 if y is not None and not math.isnan(y)]))
    for a in (ax, ax_good, ax_fail):
        a.set_xlabel(axis_label(x_param, unit))
        if unit == "req/s":
            a.xaxis.set_major_formatter(FuncFormatter(lambda v, _: plain_number(v) if v > 0 else "0"))
        a.grid(True, which="both", alpha=0.3)
    for a in (ax_good, ax_fail):
        if a.lines:
            a.legend(loc="upper left", fontsize=7)
    q = "where does p99 turn up as load grows?" if is_load(x_param) else f"how does p99 change with {short(x_param)}?"
    title = exp_title(exp, q)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    more = f" Only the first {len(shown)} of {len(groups)} series are drawn." if len(groups) > len(shown) else ""
    figs.save(fig, "sweep_p99", title,
              f"Mean p99 (and p50) over replications against {short(x_param)}, error bars the 95% confidence "
              "interval (none for a single run); below, the goodput (completed requests/s, the dashed line is the "
              "offered load) and the failure rate (failed / generated). The star marks the knee, the first point "
              "whose p99 is more than twice the lowest. "
              + (f"Knee: {short(x_param)} = {knee_notes[0]}." if knee_notes else "No knee: p99 stays within 2x.")
              + more)
    if len(nums) == 2 and not exp.design_keys:
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
    fig, ax = plt.subplots(figsize=figsize(max(7, 1.1 * len(xv) + 3), max(4.5, 0.7 * len(yv) + 2.5)))
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


def compare_panels(exp):
    """(metric, panel title, unit) for every comparison the points allow, in reading order."""
    panels = [("latency_ms.p99", "p99 end-to-end latency", "ms"), ("latency_ms.p50", "p50 end-to-end latency", "ms"),
              ("throughput_rps", "throughput (completed)", "req/s")]
    if exp.has("failure_rate_pct"):
        panels.append(("failure_rate_pct", "failure rate: failed / generated", "%"))
    elif exp.has("requests.failed"):
        panels.append(("requests.failed", "failed requests (no requests.generated: a count)", "requests"))
    panels.append(("availability_pct", "availability", "%"))
    panels += [(m, what, "%") for m, what in exp.region_availability()]
    for m in exp.metrics_like(r"components\.[^.]+\.queue\.dead_lettered"):
        panels.append((m, f"{m.split('.')[1]}: dead-lettered messages", "messages"))
    panels.append(("cost.monthly_usd", "cost", "USD / month"))
    return [x for x in panels if exp.has(x[0])]


def value_text(v, ci):
    if v is None:
        return "–"
    t = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return t + (f" ± {ci:.2g}" if ci and ci > 1e-9 * max(abs(v), 1) else "")


def fig_compare(exp, figs):
    """Small multiples, one horizontal bar chart per metric, the variants down the side: readable
    at any number of variants (the figure grows downwards), never wider than the page."""
    cats = exp.categorical_params()
    if not cats and exp.numeric_params():
        return  # a sweep: fig_sweep draws it
    pts = exp.points
    panels = compare_panels(exp)
    if not panels:
        figs.skip("compare", "no point has a latency, throughput, failure or cost metric (every run failed?)")
        return
    base = exp.base()
    names = [exp.label(p, cats) for p in pts]
    ticks = [(f"{n} (base)" if p is base else n) + (f"  [{exp.bottleneck(p)}]" if exp.bottleneck(p) else "")
             for n, p in zip(names, pts)]
    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    row_h = 0.3 * len(pts) + 1.3
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize(11, row_h * nrows + 0.9), squeeze=False, sharey=True)
    ys = list(range(len(pts)))
    for i, (m, title, unit) in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        vals = [exp.metric(p, m) for p in pts]
        means = [v[0] for v in vals]
        errs = [v[1] or 0 for v in vals]
        ax.barh(ys, [v or 0 for v in means], xerr=errs if any(errs) else None, capsize=3, height=0.7,
                color=[series_color(j) for j in ys], edgecolor=["black" if p is base else "none" for p in pts],
                linewidth=1.2)
        if means[0] is not None:
            ax.axvline(means[0], color="0.2", ls="--", lw=1)
        top = max([(v or 0) + e for v, e in zip(means, errs)] or [1])
        for y, (v, ci) in zip(ys, vals):
            ax.text((v or 0) + (ci or 0) + top * 0.01, y, value_text(v, ci), va="center", fontsize=7)
        ax.set_xlim(0, top * 1.3 if top > 0 else 1)
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xlabel(unit, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", alpha=0.3)
    for j in range(len(panels), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    for r in range(nrows):
        a = axes[r][0]
        a.set_yticks(ys)
        a.set_yticklabels(ticks, fontsize=8 if len(pts) <= 12 else 7)
    axes[0][0].invert_yaxis()  # the base (first variant) on top; sharey turns every panel
    what = " / ".join(exp.design_keys) or " / ".join(short(k) for k in cats) or "point"
    title = exp_title(exp, f"which {what} does best?")
    height = fig.get_size_inches()[1]
    fig.suptitle(title, fontsize=11, y=1 - 0.12 / height, va="top")
    # One legend for all the panels (they share it), under the title.
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    several = any((m.get("n") or 0) >= 2 for p in pts for m in p["metrics"].values())
    handles = [Patch(color=series_color(0), label="mean ± 95% CI over replications" if several else
                     "one run per point: no interval"),
               Patch(facecolor="white", edgecolor="black", label=f"the base design: {names[0]}"),
               Line2D([], [], color="0.2", ls="--", lw=1, label="the base design's value")]
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, 1 - 0.45 / height))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.8 / height))
    figs.save(fig, "compare", title,
              f"Each {what} side by side, one panel per metric ({', '.join(t for _, t, _ in panels)}): mean over "
              "replications with its 95% confidence interval (none for a single run); the dashed line and the "
              f"outlined bar are the base design ({names[0]}, the experiment file's first); in brackets, each "
              "one's most frequent bottleneck.", panels=[m for m, _, _ in panels])


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
        readable_log_axis(ax.yaxis)
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
        failed = sum(p.get("failed_runs", 0) for p in exp.points) or \
            sum(1 for r in exp.rows if (r.get("error") or "").strip())
        if not any(p["metrics"] for p in exp.points):
            figs.skip("*", f"no point has a successful run ({failed} failed runs; see points/<id>/r<k>.stderr)")
    figs.write_index()
    return kind, figs.index, figs.skipped


def main(argv):
    if len(argv) != 2:
        print("usage: plot.py DIR", file=sys.stderr)
        return 2
    try:
        kind, index, skipped = make_figures(argv[1])
    except BadInput as e:
        print(e, file=sys.stderr)
        return 2
    for f in index:
        print(os.path.join(argv[1], f["png"]))
    if not index:
        # Never a silent success with nothing drawn: say what is missing.
        why = "; ".join(f"{s['name']}: {s['why']}" for s in skipped) or "the files hold nothing these figures plot"
        print(f"{argv[1]}: error: no figure could be drawn ({why})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
