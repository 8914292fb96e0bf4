#!/usr/bin/env python3
"""How many of the build's translation units include a header (directly or not), from the
compiler's dependency files: what a change to that header recompiles.

    python3 scripts/dependents.py sim/engine/engine.hpp [build]
"""
import json
import os
import sys


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    header = os.path.realpath(argv[1])
    build = argv[2] if len(argv) > 2 else "build"
    with open(os.path.join(build, "compile_commands.json")) as f:
        units = json.load(f)
    hits = []
    for u in units:
        out = u.get("output")
        if not out:
            args = u["command"].split()
            out = args[args.index("-o") + 1]
        dep = os.path.join(u["directory"], out + ".d")
        if not os.path.exists(dep):
            print(f"{dep}: missing; build first", file=sys.stderr)
            return 1
        with open(dep) as f:
            words = f.read().replace("\\\n", " ").split()
        if any(os.path.realpath(os.path.join(u["directory"], w)) == header for w in words if w.endswith((".hpp", ".h"))):
            hits.append(os.path.relpath(u["file"]))
    print(f"{len(hits)} of {len(units)} translation units include {argv[1]}")
    for h in sorted(hits):
        print(f"  {h}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
