#!/usr/bin/env python3
"""The figure of a capacity search (`archsim capacity`, docs/capacity.md), from its capacity.json.

    python3 plots/capacity.py DIR      (what `archsim capacity` runs after its search)

Writes DIR/figures/capacity.png and .svg: per rung of the ladder, each SLO's metric at every probe
(mean, with its 95% interval when replicated) against the load multiplier on a log axis, the SLO's
limit as a dashed line, goodput on the panel below, and each wall marked where the rung's bracket
closes. Probes that were not steady are drawn hollow. Exit codes: 0 done, 2 no capacity.json.
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator  # noqa: E402

DPI = 110
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def slo_parts(text):
    op = "<=" if "<=" in text else ">="
    lhs, rhs = text.split(op, 1)
    return lhs.strip(), op, rhs.strip()


def limit_value(text):
    """The SLO's limit in the unit capacity.json reports its metric in (ms, or a fraction)."""
    lhs, _, rhs = slo_parts(text)
    if lhs in ("errors", "availability"):
        return float(rhs.rstrip("%")) / (100 if rhs.endswith("%") else 1)
    units = [("us", 1e-3), ("ms", 1.0), ("s", 1e3)]
    for u, f in units:
        if rhs.endswith(u):
            try:
                return float(rhs[: -len(u)]) * f
            except ValueError:
                continue
    return None


def multiplier_axis(ax):
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(1.5, 3, 4, 7)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def main(argv):
    if len(argv) != 2:
        print("usage: capacity.py DIR", file=sys.stderr)
        return 2
    d = argv[1]
    path = os.path.join(d, "capacity.json")
    if not os.path.exists(path):
        print(f"{d}: error: no capacity.json here; `archsim capacity FILE --out {d}` writes one", file=sys.stderr)
        return 2
    with open(path) as f:
        cap = json.load(f)
    slos = cap.get("slos") or []
    rungs = cap.get("rungs") or []
    if not rungs or not slos:
        print(f"{path}: error: no probe to draw", file=sys.stderr)
        return 2
    n = len(slos) + 1
    fig, axes = plt.subplots(n, 1, figsize=(8.5, 2.6 * n + 0.6), sharex=True)
    if n == 1:
        axes = [axes]
    for ri, rung in enumerate(rungs):
        color = COLORS[ri % len(COLORS)]
        label = f"rung {ri + 1}: {rung.get('relief', '')}"
        probes = sorted(rung.get("probes") or [], key=lambda p: p["multiplier"])
        xs = [p["multiplier"] for p in probes]
        for si, slo in enumerate(slos):
            ax = axes[si]
            pts = [(p["multiplier"], p["slos"][si]) for p in probes if len(p.get("slos") or []) > si]
            steady = [(m, s) for (m, s), p in zip(pts, probes) if not (p.get("why") or "").startswith("not steady")]
            unsteady = [(m, s) for (m, s), p in zip(pts, probes) if (p.get("why") or "").startswith("not steady")]
            scale = 1 if slo_parts(slo)[0] not in ("errors", "availability") else 100
            if steady:
                ys = [s["mean"] * scale for _, s in steady]
                hw = [s.get("ci95_half_width", 0) * scale for _, s in steady]
                low = [min(h, 0.9 * y) if scale == 1 else h for y, h in zip(ys, hw)]  # a log axis has no 0
                ax.errorbar([m for m, _ in steady], ys, yerr=[low, hw], fmt="o-", ms=4,
                            color=color, capsize=2, label=label if si == 0 else None)
            if unsteady:
                ax.plot([m for m, _ in unsteady], [s["mean"] * scale for _, s in unsteady], "o", ms=6,
                        mfc="none", color=color, label="not steady (does not hold)" if si == 0 and ri == 0 else None)
        axes[-1].plot(xs, [p["goodput_rps"] for p in probes], "o-", ms=4, color=color)
        knee = rung.get("knee") or {}
        wall = rung.get("wall") or {}
        if knee.get("fails_at"):
            for ax in axes:
                ax.axvspan(knee["holds_at"], knee["fails_at"], color=color, alpha=0.15, lw=0)
            axes[0].annotate(f"{wall.get('component', '')} {wall.get('resource', '')}",
                             xy=(knee["fails_at"], 1 - 0.09 * (ri % 3)), xycoords=("data", "axes fraction"),
                             xytext=(3, -3),
                             textcoords="offset points", va="top", fontsize=7.5, color=color)
    for si, slo in enumerate(slos):
        ax = axes[si]
        lhs, op, _ = slo_parts(slo)
        lim = limit_value(slo)
        pct = lhs in ("errors", "availability")
        if lim is not None:
            ax.axhline(lim * (100 if pct else 1), color="#d62728", ls="--", lw=1, label=f"SLO {slo}")
        ax.set_ylabel(f"{lhs} ({'%' if pct else 'ms'})")
        if not pct:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    axes[-1].set_ylabel("goodput (req/s)")
    axes[-1].set_ylim(bottom=0)
    axes[-1].grid(True, alpha=0.3)
    axes[-1].set_xlabel("load multiplier (every client's rate x)")
    multiplier_axis(axes[-1])
    fig.suptitle(f"{cap.get('topology', '')}: where it breaks ({cap.get('ladder', '')})", fontsize=9, wrap=True)
    fig.tight_layout()
    out = os.path.join(d, "figures")
    os.makedirs(out, exist_ok=True)
    fig.savefig(os.path.join(out, "capacity.png"), dpi=DPI, bbox_inches="tight")
    fig.savefig(os.path.join(out, "capacity.svg"), bbox_inches="tight")
    print(f"wrote {os.path.join(out, 'capacity.png')} and capacity.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
