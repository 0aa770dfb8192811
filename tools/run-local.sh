#!/usr/bin/env bash
# `make run`: makes the local deployment's keys if missing (xcctl init), starts every service
# in config/local.json in the foreground, and stops them all on Ctrl-C or SIGTERM.
set -u
cd "$(dirname "$0")/.."
config=${XC_CONFIG:-config/local.json}
build/bin/xcctl --config "$config" init || exit 1
pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  wait
  exit 0
}
trap stop INT TERM
for name in $(build/bin/xcctl --config "$config" services); do
  if [ -x "build/bin/xc-$name" ]; then
    "build/bin/xc-$name" --config "$config" &
    pids+=($!)
  else
    echo "run: no binary build/bin/xc-$name" >&2
  fi
done
sleep 0.5
build/bin/xcctl --config "$config" health
echo "running; Ctrl-C stops the suite"
wait
