#!/usr/bin/env bash
# `make bench`: runs each benchmark binary, prints its BENCH lines and writes them, with a
# description of the machine, into bench/results.md. Only figures of one run compare.
set -u -o pipefail   # a benchmark that fails fails make bench, through tee
cd "$(dirname "$0")/.."
mkdir -p bench
out=bench/results.md
{
  echo "# Benchmark results"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
  echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr). Floors are measured in the same run."
  echo
  echo '```'
} > "$out"
status=0
for b in "$@"; do
  "$b" | tee -a "$out" || status=1
done
# the benchmarks that drive whole deployments are Python (Debian's python3: zmq, nacl)
for b in tests/bench/*_bench.py; do
  [ -e "$b" ] || continue
  "${PY:-/usr/bin/python3}" "$b" | tee -a "$out" || status=1
done
echo '```' >> "$out"
exit $status
