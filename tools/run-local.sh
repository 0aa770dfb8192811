#!/usr/bin/env bash
# `make run`: the whole suite on loopback, in the foreground; Ctrl-C (or SIGTERM) stops it.
#
# On a first run it makes, under $XC_VAR (default var/, ignored by git): the deployment's
# config (local.json, from config/local.json), development keys and the registry (xcctl init),
# and the services' SQLite files; then it starts every service, waits until each answers, and
# on empty stores loads a small demo drawn from the source document (tools/demo.sh; XC_DEMO=0
# skips it). The HTTP gateway (services.gateway.http, plain HTTP on loopback) starts once the
# services answer; its URL is said (docs/services/gateway.md).
#
# One suite per deployment: a lock on $XC_VAR/run.lock is held for the suite's lifetime (by
# this script and by every service it starts, which inherit it), so a second `make run` on
# the same folder says which suite runs and where, changes nothing and exits 1. A suite of
# another folder on the same ports is found by its ports answering.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
var=${XC_VAR:-var}
mkdir -p "$var" || exit 1
var=$(cd "$var" && pwd)
config="$var/local.json"

# the gateway's HTTP address (services.gateway.http), "" when the config has none
http_address() { sed -n 's/^ *"http": *"\([^"]*\)".*/\1/p' "$config" 2>/dev/null | head -n 1; }
addresses() { { grep -o 'tcp://[^"]*' "$config" 2>/dev/null; http=$(http_address); [ -n "$http" ] && echo "http://$http"; } | sort -u | tr '\n' ' '; }
exec 9>>"$var/run.lock" || exit 1
if ! flock -n 9; then
  echo "run: a suite is already running from $var: $(cat "$var/run.lock" 2>/dev/null)" >&2
  echo "run: its services answer at: $(addresses)" >&2
  echo "run: nothing was changed; use it (build/bin/xcctl --config $config health), or stop it first" >&2
  echo "run: (Ctrl-C in its terminal), or give this run another folder: XC_VAR=other make run" >&2
  exit 1
fi
printf 'make run pid %s, started %s, config %s\n' "$$" "$(date '+%F %T')" "$config" > "$var/run.lock"
if [ ! -f "$config" ]; then
  # the same deployment, with everything it writes kept in $var
  sed -e "s|\"calendar\": \"calendar\"|\"calendar\": \"$root/config/calendar\"|" \
      -e "s|\"web\": \"../web\"|\"web\": \"$root/web\"|" \
      -e 's|"database": "../var/|"database": "|' config/local.json > "$config.tmp" && mv "$config.tmp" "$config" || exit 1
  echo "run: made $config"
fi
xcctl() { "$root/build/bin/xcctl" --config "$config" "$@"; }

# a suite of another folder on this deployment's ports: its services would fail to bind
http=$(http_address)
busy=()
for address in $(grep -o 'tcp://[^"]*' "$config") ${http:+"http://$http"}; do
  hostport=${address#*://}
  host=${hostport%:*} port=${hostport##*:}
  [ "$port" = "*" ] || [ "$port" = 0 ] && continue
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then busy+=("$address"); fi
done
if [ ${#busy[@]} -gt 0 ]; then
  echo "run: something already answers at ${busy[*]}, the addresses of $config:" >&2
  echo "run: a suite of another folder (another XC_VAR) is running; nothing was started." >&2
  echo "run: stop it first, or give this deployment other ports in $config" >&2
  exit 1
fi
xcctl init >/dev/null || exit 1

pids=()
stop() {
  trap - INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  wait
  echo "run: stopped"
  exit 0
}
trap stop INT TERM
fresh=1
for name in $(xcctl services); do
  [ -s "$var/$name.db" ] && fresh=0
  if [ -x "build/bin/xc-$name" ]; then
    rm -f "$var/$name.ready"
    "build/bin/xc-$name" --config "$config" --ready-file "$var/$name.ready" 2>>"$var/$name.log" &
    pids+=($!)
  else
    echo "run: no binary build/bin/xc-$name" >&2
  fi
done

# every service answers, or we say which does not
for _ in $(seq 1 100); do
  xcctl health >/dev/null 2>&1 && break
  sleep 0.1
done
xcctl health || { echo "run: a service did not come up; its log is in $var/" >&2; stop; }

# the HTTP gateway, once the services answer: up when its ready file is written and /healthz
# answers 200 (bash's /dev/tcp: no HTTP client needed)
if [ -n "$http" ]; then
  rm -f "$var/gateway.ready"
  build/bin/xc-gateway --config "$config" --ready-file "$var/gateway.ready" 2>>"$var/gateway.log" &
  pids+=($!)
  up=0 bound=
  for _ in $(seq 1 100); do
    # the address it bound (port 0 in the config picks one), from its ready file
    bound=$(sed -n 's/.*"http": *"\([^"]*\)".*/\1/p' "$var/gateway.ready" 2>/dev/null)
    if [ -n "$bound" ] && (exec 3<>"/dev/tcp/${bound%:*}/${bound##*:}" \
        && printf 'GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$bound" >&3 \
        && timeout 2 head -n 1 <&3 | grep -q ' 200 ') 2>/dev/null; then
      up=1
      break
    fi
    sleep 0.1
  done
  [ "$up" = 1 ] || { echo "run: the gateway did not come up at http://$http; its log is $var/gateway.log" >&2; stop; }
  echo "run: the HTTP gateway at http://$bound (POST /v1/{service}, GET /v1/keys, /v1/directory; docs/services/gateway.md)"
fi

if [ "$fresh" = 1 ] && [ "${XC_DEMO:-1}" != 0 ]; then
  echo "run: loading the demo (XC_DEMO=0 skips it)"
  tools/demo.sh "$config" || echo "run: the demo did not load fully" >&2
fi
echo "run: logs in $var/*.log; try: build/bin/xcctl --config $config stats"
echo "running; Ctrl-C stops the suite"
wait
