#!/usr/bin/env python3
"""auto against flow at the same seed on every shipped topology and every experiment point, at full
length: throughput, mean and p99 latency, the largest utilization difference, the bottleneck
verdict, the faults' outcomes and the request accounting, with how much SimGrid carried under auto
and both wall times. One markdown table row per run.

    [JOBS=2] python3 bench/agreement.py [--seed S] [FILE.yaml ...]    (JOBS simulations at a time)

FILE is a topology or an experiment (default: topologies/*.yaml, then experiments/*.yaml). An
experiment's points are the runs its own executor would launch (replication 1: `archsim experiment
--executor slurm --dry-run` writes their commands), each run here under both modes; a point that is
the very same run as a topology row (same file, no overrides, same seed) says so instead of
running again. --seed S runs every row at seed S instead (for a row's run-to-run spread).

Tolerances (the requirement; tests/agreement_test.cpp checks the same at short durations):
throughput 1%, mean and p99 2%, utilizations 1 point, the same bottleneck, the same faults and
request accounting. A design whose sample path depends on event order (cdn-media) differs by its
run-to-run spread; compare several seeds before calling a difference systematic.
"""
import concurrent.futures as cf
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHSIM = os.environ.get('ARCHSIM', os.path.join(ROOT, 'build', 'archsim'))


def experiment_points(path):
    """[(point id, topology, [run arguments])] of replication 1, as the experiment would run them."""
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([ARCHSIM, 'experiment', path, '--executor', 'slurm', '--dry-run',
                            '--replications', '1', '--out', out], cwd=ROOT, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f'{path}: {p.stderr.strip()}')
        points = []
        with open(os.path.join(out, 'slurm', 'runs.tsv')) as tsv:
            for line in tsv:
                folder, command = line.rstrip('\n').split('\t')
                args = command.split()
                assert args[1] == 'run' and args[-2] == '--out', command
                point = os.path.basename(os.path.dirname(folder))
                points.append((point, args[2], args[3:-2]))
        return points


def run(topology, args, mode):
    t = time.time()
    p = subprocess.run([ARCHSIM, 'run', topology, *args, '--network', mode, '--json'], cwd=ROOT,
                       capture_output=True, text=True, timeout=7200)
    if p.returncode != 0:
        return None, time.time() - t, p.stderr.strip()[-200:]
    return json.loads(p.stdout), time.time() - t, ''


def utilizations(j):
    out = {}
    for c, v in j['components'].items():
        for k, x in (v.get('utilization') or {}).items():
            if x is not None:
                out[f'{c}.{k}'] = x
    for link, v in (j.get('region_links') or {}).items():
        out[f'link {link}'] = v['utilization']
    return out


def fault_outcomes(j):
    """The faults' entries and the databases' failovers: what each fault did."""
    failovers = {c: v['failovers'] for c, v in j['components'].items() if 'failovers' in v}
    return j.get('faults', []), failovers


def pct(x, y):
    return 100 * (x - y) / y if y else (0.0 if x == y else float('inf'))


def compare(case):
    label, topology, args = case
    (a, ta, ea), (fl, tf, ef) = run(topology, args, 'auto'), run(topology, args, 'flow')
    if a is None or fl is None:
        return [label, f'failed: {ea} {ef}'] + [''] * 10
    la, lf = a['latency_ms'], fl['latency_ms']
    ua, uf = utilizations(a), utilizations(fl)
    du, duk = max(((abs(ua.get(k, 0) - uf[k]), k) for k in uf), default=(0.0, ''))
    bn = lambda j: f"{j['bottleneck'].get('component')}/{j['bottleneck'].get('resource')}"
    req_a, req_f = a['requests'], fl['requests']
    if req_a == req_f:
        req = 'same'
    else:
        req = 'DIFF ' + ', '.join(f'{k} {req_a.get(k)}/{req_f.get(k)}' for k in req_f
                                  if req_a.get(k) != req_f[k] and not isinstance(req_f[k], dict))
    n = a['network']
    carried = n['flow_transfers'] / max(1, n['flow_transfers'] + n['direct_transfers'])
    dthr, dmean, dp99 = pct(a['throughput_rps'], fl['throughput_rps']), pct(la['mean'], lf['mean']), pct(la['p99'], lf['p99'])
    beyond = [what for what, out in (('throughput', abs(dthr) > 1), ('mean', abs(dmean) > 2), ('p99', abs(dp99) > 2),
                                     ('utilization', du > 0.01), ('bottleneck', bn(a) != bn(fl)),
                                     ('faults', fault_outcomes(a) != fault_outcomes(fl)), ('requests', req != 'same')) if out]
    return [label, f'{dthr:+.2f}%', f'{dmean:+.2f}%', f'{dp99:+.2f}%',
            f"{100 * du:.2f} ({duk})" if du >= 0.00005 else '0.00',
            'same' if bn(a) == bn(fl) else f'{bn(fl)} -> {bn(a)}',
            'same' if fault_outcomes(a) == fault_outcomes(fl) else 'DIFF', req,
            f"{n['carried_count']} links, {100 * carried:.1f}%", f'{tf:.1f} / {ta:.1f}',
            f"{lf['mean']:.3f} / {lf['p99']:.3f}", 'ok' if not beyond else 'BEYOND: ' + ', '.join(beyond)]


def main(argv):
    seed = []
    if argv[:1] == ['--seed']:
        seed, argv = ['--seed', argv[1]], argv[2:]
    files = argv or (sorted(glob.glob(os.path.join(ROOT, 'topologies', '*.yaml'))) +
                     sorted(glob.glob(os.path.join(ROOT, 'experiments', '*.yaml'))))
    cases, same_as = [], []
    topology_seed = {}
    for f in files:
        rel = os.path.relpath(os.path.abspath(f), ROOT)
        if rel.startswith('experiments' + os.sep):
            name = os.path.basename(f)[:-len('.yaml')]
            for point, topology, args in experiment_points(rel):
                label = f'{name}: {point}'
                if not seed and args == ['--seed', topology_seed.get(topology)]:
                    same_as.append((label, topology))
                else:
                    cases.append((label, topology, [*args[:-2], *seed] if seed else args))
        else:
            with open(f) as y:
                s = next((l.split('seed:')[1].split('}')[0].split(',')[0].strip()
                          for l in y if l.startswith('run:') and 'seed:' in l), '1')
            topology_seed[rel] = s
            cases.append((os.path.basename(f), rel, seed))
    columns = ['run', 'throughput', 'mean', 'p99', 'max util diff, pt', 'bottleneck', 'faults',
               'requests', 'auto: SimGrid carried', 'wall s flow / auto', 'flow mean / p99 ms', 'within tolerance']
    print('| ' + ' | '.join(columns) + ' |')
    print('|' + '|'.join(['---'] + ['---:'] * 4 + ['---'] * 7) + '|', flush=True)
    with cf.ThreadPoolExecutor(int(os.environ.get('JOBS', '2'))) as ex:
        for row in ex.map(compare, cases):
            print('| ' + ' | '.join(row) + ' |', flush=True)
    for label, topology in same_as:
        print(f'\n{label}: the run of {os.path.basename(topology)} above (no overrides, same seed)')


if __name__ == '__main__':
    main(sys.argv[1:])
