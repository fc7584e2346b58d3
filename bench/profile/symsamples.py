#!/usr/bin/env python3
"""Attributes sampled RIPs (sampler.py) to kernel and program symbols.

usage: symsamples.py SAMPLES KERNEL_ELF PROGRAM [TOP]"""
import bisect
import collections
import subprocess
import sys

samples, kernel, prog = sys.argv[1:4]
top = int(sys.argv[4]) if len(sys.argv) > 4 else 30


def symbols(path):
    out = subprocess.run(["nm", "-n", "-C", path], capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return syms


ksyms, usyms = symbols(kernel), symbols(prog)
kaddr, uaddr = [a for a, _ in ksyms], [a for a, _ in usyms]
counts = collections.Counter()
for line in open(samples):
    pc = int(line, 16)
    if pc >= 0xFFFF800000000000:
        i = bisect.bisect_right(kaddr, pc) - 1
        counts["K " + ksyms[i][1][:120]] += 1
    elif 0x400000 <= pc < 0x800000000000:
        i = bisect.bisect_right(uaddr, pc) - 1
        counts["U " + usyms[i][1]] += 1
    else:
        counts["? " + hex(pc)] += 1
n = sum(counts.values())
print(f"{n} samples")
for sym, c in counts.most_common(top):
    print(f"{100 * c / n:6.2f}% {c:6d} {sym}")
