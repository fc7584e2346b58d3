#!/usr/bin/env python3
"""Guest instruction profile from a QEMU `-d exec,nochain,in_asm` log
(LINTEL_PROFILE=tb): every executed translated block weighted by its number
of guest instructions, attributed to the symbol holding its first
instruction (nm of the kernel ELF and of the program). Counting starts at
the program's `main`, so the boot is left out.

usage: tbprof.py LOG KERNEL_ELF PROGRAM [TOP]"""
import bisect
import collections
import re
import subprocess
import sys

log, kernel, prog = sys.argv[1:4]
top = int(sys.argv[4]) if len(sys.argv) > 4 else 40


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
main_pc = next(a for a, n in usyms if n == "main")


def name(pc):
    if pc >= 0xFFFF800000000000:
        i = bisect.bisect_right(kaddr, pc) - 1
        return "K " + (ksyms[i][1] if i >= 0 else hex(pc))
    i = bisect.bisect_right(uaddr, pc) - 1
    return "U " + (usyms[i][1] if i >= 0 else hex(pc))


ninsn, counts = {}, collections.Counter()
started, block = False, None
trace = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
with open(log, errors="replace") as f:
    for line in f:
        if line.startswith("Trace"):
            m = trace.match(line)
            if m:
                pc = int(m.group(1), 16)
                started = started or pc == main_pc
                if started:
                    counts[pc] += 1
            block = None
        elif line.startswith("IN:"):
            block = "new"
        elif block is not None and line.startswith("0x"):
            addr = int(line.split(":")[0], 16)
            if block == "new":
                block = addr
                ninsn[block] = 0
            ninsn[block] += 1
        elif not line.strip():
            block = None

by, total = collections.Counter(), 0
for pc, n in counts.items():
    w = n * ninsn.get(pc, 1)
    by[name(pc)] += w
    total += w
print(f"guest instructions from main on: {total}")
for sym, w in by.most_common(top):
    print(f"{100 * w / total:6.2f}%  {w:12d}  {sym[:140]}")
