#!/usr/bin/env bash
# Runs as root inside the fresh Debian 12 of tests/container/fresh.sh: /fresh holds the bundle
# of the commit under test, /out receives the logs. It clones, then runs the README's two
# commands exactly as written and checks what the README promises of them. Every wait is
# bounded; the first failed check ends it with a line saying what failed.
set -u
UP_WITHIN=${XC_FRESH_UP_WITHIN:-1500}   # s: make run's install, build and start, on a loaded machine
STOP_WITHIN=30                          # s: Ctrl-C to every service gone
TEST_WITHIN=${XC_FRESH_TEST_WITHIN:-2400}
say() { echo "fresh-test: $*"; }
fail() { echo "fresh-test: FAILED: $*" >&2; exit 1; }

for c in gcc cc pkg-config python3; do
  command -v "$c" >/dev/null && fail "the machine is not fresh: $c is installed already"
done
cd /root || exit 1
git -c advice.detachedHead=false clone -q /fresh/xuncha.bundle xuncha || fail "git clone failed"
cd xuncha || exit 1
[ "$(git rev-parse HEAD)" = "$XC_FRESH_SHA" ] || fail "the clone's HEAD is $(git rev-parse HEAD), not $XC_FRESH_SHA"

# `make run`, in the background in its own process group (job control), as in a terminal
set -m
start=$SECONDS
make run </dev/null >/out/make-run.log 2>&1 &
run=$!
set +m
until [ -x build/bin/xcctl ] && build/bin/xcctl health >/out/health.txt 2>&1; do
  if ! kill -0 "$run" 2>/dev/null; then
    tail -n 30 /out/make-run.log; fail "make run exited before the suite answered xcctl health"
  fi
  [ $((SECONDS - start)) -lt "$UP_WITHIN" ] || { tail -n 30 /out/make-run.log; fail "make run: no answer to xcctl health within $UP_WITHIN s"; }
  sleep 2
done
say "make run: the suite answered build/bin/xcctl health $((SECONDS - start)) s after make run began"
cat /out/health.txt
services=$(build/bin/xcctl services) && [ -n "$services" ] || fail "xcctl services named none"
for s in $services; do
  grep -Eq "^$s[[:space:]].*[[:space:]]up([[:space:]]|$)" /out/health.txt || fail "xcctl health does not say $s is up"
done
! grep -Eqw 'DOWN|ERROR' /out/health.txt || fail "xcctl health names a service down"
# the first run also loads the demo; stop once make run says it is running (and how to stop it)
until grep -q 'Ctrl-C' /out/make-run.log; do
  kill -0 "$run" 2>/dev/null || { tail -n 30 /out/make-run.log; fail "make run exited on its own"; }
  [ $((SECONDS - start)) -lt "$UP_WITHIN" ] || fail "make run did not say it was running within $UP_WITHIN s"
  sleep 1
done
! grep -q 'did not load' /out/make-run.log || { tail -n 30 /out/make-run.log; fail "make run reports a failure"; }

# Ctrl-C: SIGINT to make's process group; make and every service end
kill -INT -- "-$run"
stopped=$SECONDS
while kill -0 "$run" 2>/dev/null; do
  [ $((SECONDS - stopped)) -lt $STOP_WITHIN ] || fail "make run still running $STOP_WITHIN s after SIGINT"
  sleep 0.5
done
took=$((SECONDS - stopped))
left=$(for p in /proc/[0-9]*; do tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -E '(^|/)xc-[a-z]+ ' && echo; done)
[ -z "$left" ] || fail "services still running after Ctrl-C: $left"
build/bin/xcctl health >/dev/null 2>&1 && fail "the suite still answers after Ctrl-C"
say "make run: stopped on SIGINT within $took s, no service left"

# `make test`: its last line is "N passed, 0 failed" with N > 0
start=$SECONDS
timeout "$TEST_WITHIN" make test </dev/null >/out/make-test.log 2>&1
rc=$?
grep -E '^(FAIL|SKIPPED)' /out/make-test.log
last=$(tail -n 1 /out/make-test.log)
count=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' /out/make-test.log | tail -n 1)
say "make test: exit $rc after $((SECONDS - start)) s; its count: ${count:-none}"
[ $rc = 0 ] || fail "make test exited $rc (its log: /out/make-test.log)"
[[ $last =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] \
  || fail "make test's last line is '$last', not 'N passed, 0 failed' with N > 0"
say "the README's two commands hold on a fresh Debian 12"
