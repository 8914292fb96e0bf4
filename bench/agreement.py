#!/usr/bin/env python3
"""auto against flow on every shipped topology at its full length: throughput, mean and p99
latency, the largest utilization difference, the bottleneck verdict and the faults' outcomes, with
how much SimGrid carried under auto and both wall times. One line per topology.

    python3 bench/agreement.py [topologies/*.yaml]     (two runs at a time)

Single runs: a design whose sample path depends on event order (cdn-media) differs by its
run-to-run spread; compare several seeds (--seed) before calling a difference systematic.
"""
import concurrent.futures as cf
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHSIM = os.environ.get('ARCHSIM', os.path.join(ROOT, 'build', 'archsim'))
files = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, 'topologies', '*.yaml')))
def run(f,m):
    t=time.time()
    p=subprocess.run([ARCHSIM,'run',f,'--network',m,'--json'],capture_output=True,text=True,timeout=900)
    if p.returncode!=0: return None, time.time()-t, p.stderr[-200:]
    return json.loads(p.stdout), time.time()-t, ''
def util(j):
    out={}
    for c,v in j['components'].items():
        for k,x in v.get('utilization',{}).items():
            if x is not None: out[f'{c}.{k}']=x
    return out
def compare(f):
    (a,ta,ea),(fl,tf,ef)=run(f,'auto'),run(f,'flow')
    name=os.path.basename(f)
    if a is None or fl is None: return f'{name}: failed {ea} {ef}'
    la,lf=a['latency_ms'],fl['latency_ms']
    d=lambda x,y: 100*(x-y)/y if y else 0.0
    ua,uf=util(a),util(fl)
    du=max([abs(ua[k]-uf[k]) for k in uf if k in ua] or [0])
    ba,bf=a['bottleneck'],fl['bottleneck']
    same_bn=(ba.get('component'),ba.get('resource'))==(bf.get('component'),bf.get('resource'))
    fa=[(x.get('kind'),x.get('count') if 'count' in x else {k:v for k,v in x.items() if isinstance(v,int)}) for x in a.get('faults',[])]
    ff=[(x.get('kind'),x.get('count') if 'count' in x else {k:v for k,v in x.items() if isinstance(v,int)}) for x in fl.get('faults',[])]
    return (f"{name}: thr {d(a['throughput_rps'],fl['throughput_rps']):+.2f}% mean {d(la['mean'],lf['mean']):+.2f}% p99 {d(la['p99'],lf['p99']):+.2f}% "
            f"util {100*du:.2f}pt bn {'same' if same_bn else str((bf.get('component'),bf.get('resource')))+'->'+str((ba.get('component'),ba.get('resource')))} "
            f"faults {'same' if fa==ff else 'DIFF'} carried {a['network']['carried_count']} flow% {100*a['network']['flow_transfers']/max(1,a['network']['flow_transfers']+a['network']['direct_transfers']):.1f} wall {tf:.1f}/{ta:.1f}s")
with cf.ThreadPoolExecutor(2) as ex:
    for r in ex.map(compare, files): print(r, flush=True)
