#!/bin/sh
# Instructions of one start-up, counted by callgrind (the machine's load does not change them):
#   bench/callgrind-startup.sh NODE SCRIPT [REGISTER]
# SCRIPT: bench/apps/noop.js or bench/apps/load-service.js (the six libraries of service.js,
# loaded, then exit). REGISTER: a register.cjs to preload (the checkout's, or a dist's), none for
# plain node. The collector is unreachable (port 9). Prints "instructions <N>". Each run takes
# 2-3 minutes on this machine; run it through the slot lock (/work/bin/heavy) when shared.
set -e
node=$1 script=$2 register=$3
opts=
[ -n "$register" ] && opts="--require $register"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9 NODE_OPTIONS="$opts" \
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --smc-check=all-non-file "$node" "$script" 2>&1 >/dev/null \
  | sed -n 's/.*Collected : \([0-9]*\).*/instructions \1/p'
