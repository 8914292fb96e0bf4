#!/usr/bin/env python3
"""Run-level fuzzer: mutates the shipped topologies with boundary and random values, runs each
mutant briefly with `archsim run`, and fails on what a valid or refused input must never do.

    scripts/fuzz_runs.py [--runs 200] [--seed 1] [--time-limit 30] [--memory-limit 2048]
                         [--archsim build/archsim] [--keep DIR] [FILE ...]

Each run takes one topology (topologies/ and tests/topologies/ unless FILEs are given), shortens
it (run.duration at most 2 s, its fault windows scaled with it), changes one to four of its values
(0, 1, huge, 1ns, 1us, equal to another value of the file, a random factor; fault windows at the
edges of the run) and runs it with `--max-wall`, the engine's own wall-time guard, at a third of
the time limit. A run fails the fuzzer when it
  - dies on a signal, or exits 1 (an internal error), or with any code but 0 and 2;
  - runs past the time limit (the wall-time guard should have refused or stopped it);
  - uses more memory than the limit;
  - refuses (exit 2) without an `error:` line, or with a crash's text, or leaves an output folder;
  - succeeds with NaN or infinity, a negative value where none can be, percentiles out of order,
    a ratio outside [0, 1], critical-path shares that do not add up to 1, or request counts that
    do not add up.
Run i depends only on the seed and i, so a failure is reproduced by the same seed and --runs.
The mutated file and the command of every failure are printed (and kept in --keep DIR).
Exit status: 0 when no run failed, 1 otherwise.
"""
import argparse
import glob
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

UNITS_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
DURATION = re.compile(r"^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(ns|us|µs|ms|s|min|h|d)$")
RATE = re.compile(r"^([0-9]*\.?[0-9]+)\s*([kKMG]?)/(s|min)$")
SIZE = re.compile(r"^([0-9]*\.?[0-9]+)\s*([kKMGT]i?B|B)$")

# Summary values that may be negative: a backlog that shrinks, the -1 "to the end" sentinels.
NEGATIVE_OK = re.compile(r"(backlog_growth|(^|_)until(_s)?$|skew|delta|change)")
# Summary values that are shares of a whole.
RATIO = re.compile(r"(^|_)(share|availability|hit_ratio|fraction)($|_)")


def parse_duration(text):
    m = DURATION.match(text.strip()) if isinstance(text, str) else None
    return float(m.group(1)) * UNITS_S[m.group(2)] if m else None


def fmt_duration(seconds):
    if seconds == 0:
        return "0s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.6g}{unit}"
    return f"{seconds / 1e-9:.6g}ns"


def leaves(node, path, out):
    """Every scalar of the topology, with its path (lists by index)."""
    if isinstance(node, dict):
        for k, v in node.items():
            leaves(v, path + [str(k)], out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            leaves(v, path + [i], out)
    else:
        out.append((path, node))


def get_parent(doc, path):
    node = doc
    for p in path[:-1]:
        node = node[p]
    return node


def candidates(value, durations, rng):
    """Boundary and random replacements for one value, by the kind of value it is."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):  # mostly values the loader takes, at their extremes; sometimes out of range
        if rng.random() < 0.25:
            return [0, -1, 10**6, 10**9]
        return [1, 2, value * 2, value * 10, value + 1, max(value // 2, 1), rng.randint(1, 1000)]
    if isinstance(value, float):
        if 0 <= value <= 1:
            return [0.0, 1.0, 0.5, 0.999999, 1e-9, rng.random()]
        return [0.0, 1.0, -1.0, value * 10, value / 10, 1e12, rng.uniform(0, 2 * value)]
    if not isinstance(value, str):
        return []
    d = parse_duration(value)
    if d is not None:
        out = ["0s", "1ns", "1us", "1ms", "1h", fmt_duration(d * 2), fmt_duration(d / 1000), fmt_duration(d * 1000),
               fmt_duration(10 ** rng.uniform(-6, 1))]
        if durations:
            out.append(rng.choice(durations))  # equal to another duration of the file
        return out
    m = RATE.match(value)
    if m:
        return ["0/s", "1/s", "1M/s", "1G/s", f"{float(m.group(1)) * 10:g}{m.group(2)}/{m.group(3)}",
                f"{float(m.group(1)) / 10:g}{m.group(2)}/{m.group(3)}"]
    m = SIZE.match(value)
    if m:
        return ["0B", "1B", "1GB", "1TB", f"{float(m.group(1)) * 100:g}{m.group(2)}"]
    return []


def shorten(doc):
    """run.duration at most 2 s; the fault windows scaled with it."""
    run = doc.setdefault("run", {})
    d = parse_duration(str(run.get("duration", "10s"))) or 10.0
    if d <= 2:
        return d
    scale = 2.0 / d
    run["duration"] = "2s"
    w = parse_duration(str(run.get("warmup", "0s")))
    run["warmup"] = fmt_duration(min((w or 0) * scale, 0.5))
    for f in doc.get("faults", []) or []:
        if not isinstance(f, dict):
            continue
        for key in ("at", "for", "until"):
            v = parse_duration(str(f.get(key, "")))
            if v is not None:
                f[key] = fmt_duration(v * scale)
    return 2.0


def merge_over(base, over):
    """`extends:` as the loader reads it (docs/topology.md): maps merge, the rest replaces, None removes."""
    for k, v in over.items():
        if v is None:
            base.pop(k, None)
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            merge_over(base[k], v)
        else:
            base[k] = v
    return base


def load_extended(path):
    """The topology at `path` with the files it extends merged under it, each file's relative
    paths made absolute: a mutant's copy stands alone, and its faults are there to scale."""
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    absolute_files(doc, os.path.dirname(os.path.abspath(path)))
    if isinstance(doc, dict) and isinstance(doc.get("extends"), str):
        base = load_extended(os.path.join(os.path.dirname(path), doc.pop("extends")))
        doc = merge_over(base, doc)
    return doc


def absolute_files(node, base):
    """Trace and edge files named relative to the topology, made absolute for the mutant's copy."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("file", "edges_file") and isinstance(v, str) and not os.path.isabs(v):
                node[k] = os.path.join(base, v)
            else:
                absolute_files(v, base)
    elif isinstance(node, list):
        for v in node:
            absolute_files(v, base)


def mutate(doc, duration, rng):
    """One to four changes; returns what was changed, as `path=value` strings."""
    found = []
    leaves(doc, [], found)
    durations = [v for _, v in found if isinstance(v, str) and parse_duration(v) is not None]
    options = [(p, v) for p, v in found
               if p and p[0] in ("components", "network", "faults", "run") and p[-1] not in ("seed", "duration", "warmup")
               and candidates(v, durations, rng)]
    changes = []
    for _ in range(rng.randint(1, 4)):
        if not options:
            break
        path, value = rng.choice(options)
        if path[0] == "faults" and path[-1] in ("at", "for", "until") and rng.random() < 0.5:
            new = rng.choice(["0s", fmt_duration(duration), fmt_duration(duration / 2), "1ns"])  # the edges
        else:
            new = rng.choice(candidates(value, durations, rng))
        get_parent(doc, path)[path[-1]] = new
        changes.append(".".join(str(p) for p in path) + "=" + str(new))
    return changes


def check_summary(s):
    """The summary's invariants; returns the broken ones."""
    broken = []
    found = []
    leaves(s, [], found)
    for path, v in found:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        path = [str(p) for p in path]
        name = ".".join(path)
        if isinstance(v, float) and not math.isfinite(v):
            broken.append(f"{name} is {v}")
        elif v < 0 and not NEGATIVE_OK.search(path[-1]):
            broken.append(f"{name} is negative ({v})")
        elif RATIO.search(path[-1]) and v > 1 + 1e-6 and "ms" not in path[-1]:
            broken.append(f"{name} is a share above 1 ({v})")
    r = s.get("requests", {})
    if r:
        if r["generated"] != r["completed"] + r["failed"] + r["in_flight_at_end"]:
            broken.append(f"requests: generated {r['generated']} != completed + failed + in flight "
                          f"({r['completed']} + {r['failed']} + {r['in_flight_at_end']})")
        by_reason = r.get("failed_by_reason")
        if by_reason and sum(by_reason.values()) != r["failed"]:
            broken.append(f"requests: failed {r['failed']} != the sum of failed_by_reason {by_reason}")
    lat = s.get("latency_ms", {})
    if lat and r and lat.get("count") != r.get("completed"):
        broken.append(f"latency_ms.count {lat.get('count')} != requests.completed {r.get('completed')}")
    order = [k for k in ("min", "p50", "p90", "p99", "p999", "max") if isinstance(lat.get(k), (int, float))]
    for a, b in zip(order, order[1:]):
        if lat[a] > lat[b] * (1 + 1e-6) + 1e-9:
            broken.append(f"latency_ms.{a} {lat[a]} > latency_ms.{b} {lat[b]}")
    for name, c in (s.get("components") or {}).items():
        if all(k in c for k in ("arrivals", "completed", "failed", "rejected")):
            if c["arrivals"] < c["completed"] + c["failed"] + c["rejected"]:
                broken.append(f"component {name}: arrivals {c['arrivals']} < completed + failed + rejected")
    cp = s.get("critical_path")
    if isinstance(cp, dict):
        # The rows (component x cause, with the unattributed rest) add up to 1; so do the causes
        # with that rest.
        rows = [r for r in cp.get("rows") or [] if isinstance(r, dict)]
        rest = [r for r in rows if r.get("cause") == "unattributed"]
        groups = {"rows": rows, "by_cause": list((cp.get("by_cause") or {}).values()) + rest}
        for group, entries in groups.items():
            for key in ("share_above_p99", "share_all"):
                shares = [e.get(key) for e in entries if isinstance(e.get(key), (int, float))]
                if shares and sum(shares) > 0 and abs(sum(shares) - 1) > 2e-3:
                    broken.append(f"critical_path.{group}: {key} adds up to {sum(shares):.6f}, not 1")
    return broken


def self_test():
    """The checks flag what they are meant to: a sound summary passes, each broken copy fails."""
    sound = {"requests": {"generated": 10, "completed": 7, "failed": 2, "in_flight_at_end": 1,
                          "failed_by_reason": {"rejected": 1, "timed_out": 1}},
             "latency_ms": {"count": 7, "p50": 1.0, "p99": 2.0, "max": 3.0},
             "steady_state": {"backlog_growth_rps": -0.5},
             "components": {"db": {"arrivals": 9, "completed": 7, "failed": 1, "rejected": 1, "hit_ratio": 0.5}},
             "critical_path": {"rows": [{"share_above_p99": 0.75}, {"share_above_p99": 0.25}]}}
    assert check_summary(sound) == [], check_summary(sound)
    breakages = {
        "generated": lambda d: d["requests"].update(generated=11),
        "failed_by_reason": lambda d: d["requests"]["failed_by_reason"].update(rejected=0),
        "count": lambda d: d["latency_ms"].update(count=6),
        "p99": lambda d: d["latency_ms"].update(p99=5.0),
        "negative": lambda d: d["components"]["db"].update(completed=-1),
        "NaN": lambda d: d["latency_ms"].update(p50=float("nan")),
        "share": lambda d: d["components"]["db"].update(hit_ratio=1.5),
        "arrivals": lambda d: d["components"]["db"].update(arrivals=8),
        "critical path": lambda d: d["critical_path"]["rows"].append({"share_above_p99": 0.33}),
    }
    for name, breaks in breakages.items():
        broken = json.loads(json.dumps(sound))
        breaks(broken)
        assert check_summary(broken), f"the check for {name} let a broken summary through"
    print(f"fuzz_runs: self-test passed (a sound summary and {len(breakages)} broken ones)")


ERROR_LINE = re.compile(r"(^|\n)[^\n]*: error: ")
CRASH_TEXT = re.compile(r"terminate called|Assertion|Segmentation|AddressSanitizer|Traceback|std::bad_alloc|xbt_")


def run_one(i, args, files, workdir):
    rng = random.Random(f"{args.seed}:{i}")
    src = rng.choice(files)
    doc = load_extended(src)
    duration = shorten(doc)
    changes = mutate(doc, duration, rng)
    mutant = os.path.join(workdir, f"run-{i}.yaml")
    with open(mutant, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)
    out_dir = os.path.join(workdir, f"out-{i}")
    cmd = [args.archsim, "run", mutant, "--json", "--out", out_dir, "--max-wall", f"{args.time_limit / 3:g}"]
    hard = args.memory_limit * 4 * 1024 * 1024

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        os.setsid()

    t0 = time.monotonic()
    out_path, err_path = os.path.join(workdir, f"stdout-{i}"), os.path.join(workdir, f"stderr-{i}")
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, preexec_fn=limits)
    hung, status, usage = False, 0, None
    while True:  # wait4 for this child's own peak memory
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if time.monotonic() - t0 > args.time_limit:
            hung = True
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    rss_mb = usage.ru_maxrss / 1024
    with open(out_path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    with open(err_path, encoding="utf-8", errors="replace") as f:
        err = f.read()
    os.remove(out_path)
    os.remove(err_path)
    rc = proc.returncode
    problems = []
    if hung:
        problems.append(f"still running after {args.time_limit:g} s (the wall-time guard neither refused nor stopped it)")
    elif rc < 0:
        problems.append(f"killed by signal {-rc} ({signal.Signals(-rc).name})")
    elif rc == 1:
        problems.append("exit 1 (internal error)")
    elif rc not in (0, 2):
        problems.append(f"exit {rc}")
    if CRASH_TEXT.search(err):
        problems.append("a crash's text on stderr")
    if rss_mb > args.memory_limit:
        problems.append(f"peak memory {rss_mb:.0f} MB over the limit of {args.memory_limit} MB")
    outcome = "hang" if hung else "signal" if rc < 0 else "ok" if rc == 0 else "refused" if rc == 2 else "error"
    if rc == 2:
        if not ERROR_LINE.search(err):
            problems.append("refused without an `error:` line")
        if os.path.exists(out_dir) and os.listdir(out_dir):
            problems.append(f"refused but left output in {out_dir}")
        if "wall time" in err:
            outcome = "refused: cost" if "would process" in err else "stopped: wall time"
    if rc == 0:
        try:
            summary = json.loads(out, parse_constant=lambda c: float(c.lower().replace("infinity", "inf")))
            problems += check_summary(summary)
        except json.JSONDecodeError as e:
            problems.append(f"stdout is not one JSON object ({e})")
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"i": i, "file": os.path.relpath(src, ROOT), "changes": changes, "rc": rc, "outcome": outcome,
            "wall": wall, "problems": problems, "mutant": mutant, "stderr": err.strip().splitlines()[-3:],
            "command": " ".join(cmd)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="topologies to mutate (default: topologies/ and tests/topologies/)")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=30, help="seconds of wall time per run")
    ap.add_argument("--memory-limit", type=int, default=2048, help="MB of peak memory per run")
    ap.add_argument("--archsim", default=os.path.join(ROOT, "build", "archsim"))
    ap.add_argument("--keep", help="keep every failing mutant in this folder")
    ap.add_argument("--verbose", action="store_true", help="a line for every run, with its refusal if any")
    ap.add_argument("--self-test", action="store_true", help="check the invariant checks themselves, then fuzz")
    args = ap.parse_args()
    if args.self_test:
        self_test()
    files = args.files or sorted(glob.glob(os.path.join(ROOT, "topologies", "*.yaml")) +
                                 glob.glob(os.path.join(ROOT, "tests", "topologies", "*.yaml")))
    if not os.access(args.archsim, os.X_OK):
        print(f"fuzz_runs: {args.archsim} is not an executable; build it first (scripts/build.sh)", file=sys.stderr)
        return 2
    workdir = tempfile.mkdtemp(prefix="archsim-fuzz-runs-")
    counts, failures, slowest = {}, [], (0.0, None)
    t0 = time.monotonic()
    try:
        for i in range(args.runs):
            r = run_one(i, args, files, workdir)
            counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
            if r["wall"] > slowest[0]:
                slowest = (r["wall"], r)
            if args.verbose:
                why = next((l for l in r["stderr"] if "error:" in l), "")
                print(f"run {i}: {r['outcome']} in {r['wall']:.1f} s: {r['file']} with {', '.join(r['changes'])}"
                      f"{'; ' + why[:300] if why else ''}", flush=True)
            if r["problems"]:
                failures.append(r)
                print(f"FAIL run {i}: {r['file']} with {', '.join(r['changes']) or 'no change'}", flush=True)
                for p in r["problems"]:
                    print(f"  - {p}")
                for line in r["stderr"]:
                    print(f"  stderr: {line}")
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    kept = os.path.join(args.keep, f"run-{i}.yaml")
                    shutil.copy(r["mutant"], kept)
                    print(f"  reproduce: {r['command'].replace(r['mutant'], kept)}")
            else:
                os.remove(r["mutant"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total = time.monotonic() - t0
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"fuzz_runs: {args.runs} runs of {len(files)} topologies (seed {args.seed}) in {total:.0f} s: {summary}; "
          f"{len(failures)} failed; slowest {slowest[0]:.1f} s ({slowest[1]['file'] if slowest[1] else '-'})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
