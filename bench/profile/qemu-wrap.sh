#!/bin/sh
# A stand-in for qemu-system-x86_64 that adds profiling options, for
# `LINTEL_QEMU=bench/profile/qemu-wrap.sh` (lintel run / lintel bench).
#
#   LINTEL_PROFILE=tb     -d exec,nochain,in_asm: every translated block run
#                         (the input of tbprof.py; very slow, keep runs short)
#   LINTEL_PROFILE=9p     -d trace:v9fs_*: every 9P request and reply
#   LINTEL_PROFILE=mon    an HMP monitor on $PROFILE_DIR/mon.sock (sampler.py)
#   LINTEL_PROFILE=perf   the whole QEMU process under `perf record -g`
#
# Output goes to $PROFILE_DIR (default /tmp/lintel-profile), one file per
# QEMU process (named after its pid).
dir=${PROFILE_DIR:-/tmp/lintel-profile}
mkdir -p "$dir"
qemu=qemu-system-x86_64
case "$LINTEL_PROFILE" in
tb)   exec $qemu "$@" -d exec,nochain,in_asm -D "$dir/tb-$$.log" ;;
9p)   exec $qemu "$@" -d 'trace:v9fs_*' -D "$dir/9p-$$.log" ;;
mon)  rm -f "$dir/mon.sock"
      exec $qemu "$@" -monitor "unix:$dir/mon.sock,server,nowait" ;;
perf) exec perf record -q -F 2000 -g -o "$dir/perf-$$.data" -- $qemu "$@" ;;
*)    exec $qemu "$@" ;;
esac
