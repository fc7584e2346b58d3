#!/usr/bin/env python3
"""9P requests per file, per phase, from a QEMU `-d trace:v9fs_*` log
(LINTEL_PROFILE=9p) of `metaphase N`: its phases (create, stat, unlink) are
separated by a chmod of the directory, i.e. one Tsetattr. (QEMU 7.2 has no
trace event for Tunlinkat, so unlink's own request is not counted.)

usage: ninep_phases.py N LOG..."""
import collections
import sys

n = int(sys.argv[1])
for log in sys.argv[2:]:
    phases = [collections.Counter()]
    for line in open(log, errors="replace"):
        words = line.split()
        if not words or words[0].endswith("_return"):
            continue
        if words[0] == "v9fs_setattr":
            phases.append(collections.Counter())
            continue
        phases[-1][words[0]] += 1
    print(log)
    for phase, c in zip(["create", "stat", "unlink"], phases):
        per = ", ".join(f"{k[5:]} {v / n:.2f}" for k, v in c.most_common() if v >= n / 10)
        print(f"  {phase:7s} per file: {per}")
