#!/usr/bin/env python3
"""auto against flow at the same seed on every shipped topology and every experiment point, at full
length: throughput, mean and p99 latency, the largest utilization difference, the bottleneck
verdict, the faults' outcomes and the request accounting, with how much SimGrid carried under auto
and both wall times. One markdown table row per run.

    [JOBS=2] python3 bench/agreement.py [--seeds K] [FILE.yaml ...]    (JOBS simulations at a time)

FILE is a topology or an experiment (default: topologies/*.yaml, then experiments/*.yaml). An
experiment's points are the runs its own executor would launch (replication 1: `archsim experiment
--executor slurm --dry-run` writes their commands), each run here under both modes; a point that is
the very same run as a topology row (same file, no overrides, same seed) says so instead of
running again. cdn-media also runs as the variant its header describes (every reader at the
origin: its NIC saturated). --seeds K runs every row at seeds 1..K and compares the averages
(the verdicts, faults and request accounting must hold at every seed; counts are summed): for a
design whose single runs differ by its run-to-run spread.

Tolerances (the requirement; tests/agreement_test.cpp checks the same at short durations):
throughput 1%, mean and p99 2%, utilizations 1 point, the same bottleneck, the same faults, the
request accounting closed under both modes (generated = completed + failed + in flight) and its
counts within 1% (or 2 requests: the requests in flight at the end finish when flow's sharing
says). A design whose sample path depends on event order (cdn-media, tail-at-scale) differs by
its run-to-run spread; compare several seeds (--seeds) before calling a difference systematic.
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


COUNTS = ('generated', 'completed', 'failed', 'rejected', 'timed_out')


def accounting_closed(j):
    r = j['requests']
    return r['generated'] == r['completed'] + r['failed'] + r['in_flight_at_end']


def compare(case):
    """One row: a topology or point at its own seed, or the averages over `seeds` common seeds."""
    label, topology, args, seeds = case
    runs = []
    for s in seeds or [None]:
        extra = [*args, '--seed', str(s)] if s else args
        (a, ta, ea), (fl, tf, ef) = run(topology, extra, 'auto'), run(topology, extra, 'flow')
        if a is None or fl is None:
            return [label, f'failed: {ea} {ef}'] + [''] * 11
        runs.append((a, fl, ta, tf))
    avg = lambda get, k: sum(get(r[k]) for r in runs) / len(runs)
    thr = lambda j: j['throughput_rps']
    mean = lambda j: j['latency_ms']['mean']
    p99 = lambda j: j['latency_ms']['p99']
    dthr, dmean, dp99 = (pct(avg(g, 0), avg(g, 1)) for g in (thr, mean, p99))
    uf = {k: avg(lambda j: utilizations(j)[k], 1) for k in utilizations(runs[0][1])}
    ua = {k: avg(lambda j: utilizations(j).get(k, 0.0), 0) for k in uf}
    du, duk = max(((abs(ua[k] - uf[k]), k) for k in uf), default=(0.0, ''))
    bn = lambda j: f"{j['bottleneck'].get('component')}/{j['bottleneck'].get('resource')}"
    same_bn = all(bn(a) == bn(fl) for a, fl, _, _ in runs)
    same_faults = all(fault_outcomes(a) == fault_outcomes(fl) for a, fl, _, _ in runs)
    closed = all(accounting_closed(j) for r in runs for j in r[:2])
    ca = {k: sum(r[0]['requests'][k] for r in runs) for k in COUNTS}
    cf_ = {k: sum(r[1]['requests'][k] for r in runs) for k in COUNTS}
    worst = max(COUNTS, key=lambda k: abs(ca[k] - cf_[k]) / max(1, cf_[k]))
    counts_ok = closed and all(abs(ca[k] - cf_[k]) <= max(2, 0.01 * cf_[k]) for k in COUNTS)
    if ca == cf_ and closed:
        req = 'same'
    else:
        req = (f'{worst} {pct(ca[worst], cf_[worst]):+.2f}%' if ca[worst] != cf_[worst] else 'same counts') + \
              ('' if closed else ', NOT CLOSED')
    beyond = [what for what, out in (('throughput', abs(dthr) > 1), ('mean', abs(dmean) > 2), ('p99', abs(dp99) > 2),
                                     ('utilization', du > 0.01), ('bottleneck', not same_bn),
                                     ('faults', not same_faults), ('requests', not counts_ok)) if out]
    a0, fl0 = runs[0][0], runs[0][1]
    n = a0['network']
    carried = n['flow_transfers'] / max(1, n['flow_transfers'] + n['direct_transfers'])
    return [label, f"{len(seeds)} seeds" if seeds else str(a0['seed']), f'{dthr:+.2f}%', f'{dmean:+.2f}%', f'{dp99:+.2f}%',
            f"{100 * du:.2f} ({duk})" if du >= 0.00005 else '0.00',
            'same' if same_bn else f'{bn(fl0)} -> {bn(a0)}',
            'same' if same_faults else 'DIFF', req,
            f"{n['carried_count']} links, {100 * carried:.1f}%",
            f'{sum(r[3] for r in runs):.1f} / {sum(r[2] for r in runs):.1f}',
            f"{avg(mean, 1):.3f} / {avg(p99, 1):.3f}", 'ok' if not beyond else 'BEYOND: ' + ', '.join(beyond)]


# The variant cdn-media's header describes: every reader sent to the origin, whose NIC saturates.
ORIGIN_ONLY = ['--set', 'components.readers-us.target=origin', '--set', 'components.readers-eu.target=origin',
               '--set', 'components.readers-ap.target=origin']


def main(argv):
    seeds = []
    if argv[:1] == ['--seeds']:
        seeds, argv = list(range(1, int(argv[1]) + 1)), argv[2:]
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
                if not seeds and args == ['--seed', topology_seed.get(topology)]:
                    same_as.append((label, topology))
                else:
                    cases.append((label, topology, args[:-2] if seeds else args, seeds))
        else:
            with open(f) as y:
                s = next((l.split('seed:')[1].split('}')[0].split(',')[0].strip()
                          for l in y if l.startswith('run:') and 'seed:' in l), '1')
            topology_seed[rel] = s
            cases.append((os.path.basename(f), rel, [], seeds))
            if os.path.basename(f) == 'cdn-media.yaml':
                cases.append(('cdn-media.yaml, every reader at the origin', rel, ORIGIN_ONLY, seeds))
    columns = ['run', 'seed', 'throughput', 'mean', 'p99', 'max util diff, pt', 'bottleneck', 'faults',
               'requests', 'auto: SimGrid carried', 'wall s flow / auto', 'flow mean / p99 ms', 'within tolerance']
    print('| ' + ' | '.join(columns) + ' |')
    print('|' + '|'.join(['---', '---:'] + ['---:'] * 4 + ['---'] * 7) + '|', flush=True)
    with cf.ThreadPoolExecutor(int(os.environ.get('JOBS', '2'))) as ex:
        for row in ex.map(compare, cases):
            print('| ' + ' | '.join(row) + ' |', flush=True)
    for label, topology in same_as:
        print(f'\n{label}: the run of {os.path.basename(topology)} above (no overrides, same seed)')


if __name__ == '__main__':
    main(sys.argv[1:])
