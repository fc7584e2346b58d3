#!/usr/bin/env python3
"""Samples the guest's RIP through the QEMU monitor (LINTEL_PROFILE=mon):
`stop`, `info registers`, `cont` every PERIOD ms until QEMU goes away, one
hex RIP per line in OUT. Under TCG a stopped vCPU is at a block boundary,
so a sample is exact to the block. Summarize with symsamples.py.

usage: sampler.py SOCKET PERIOD_MS OUT"""
import os
import re
import socket
import sys
import time

path, period, out = sys.argv[1], float(sys.argv[2]) / 1000, open(sys.argv[3], "w")
while not os.path.exists(path):
    time.sleep(0.005)
s = socket.socket(socket.AF_UNIX)
for _ in range(200):
    try:
        s.connect(path)
        break
    except OSError:
        time.sleep(0.01)
s.settimeout(5)
buf = b""


def reply(command):
    """Sends `command` (None: nothing) and returns the text up to the prompt."""
    global buf
    if command is not None:
        s.sendall(command.encode() + b"\n")
    while b"(qemu)" not in buf:
        data = s.recv(65536)
        if not data:
            raise EOFError
        buf += data
    text, _, buf = buf.partition(b"(qemu)")
    return text.decode(errors="replace")


rip = re.compile(r"RIP=([0-9a-f]{16})")
try:
    reply(None)  # the banner
    while True:
        time.sleep(period)
        reply("stop")
        regs = reply("info registers")
        reply("cont")
        m = rip.search(regs)
        if m:
            out.write(m.group(1) + "\n")
except (EOFError, OSError, socket.timeout):
    pass  # QEMU ended
