#!/usr/bin/env bash
# `make fresh-test`: the README's promise, "both run on a fresh Debian 12 machine that has git and
# make". The machine is a container of the minimal Debian 12 that make container-test builds
# (tests/container/podman.sh: podman's setup, storage under build/container, the cleanup) with
# only git and make added. Into it the commit under test (HEAD) is cloned, and
# tests/container/fresh-inside.sh runs the README's two commands exactly as written, as root:
# `make run` (it installs the packages, builds, starts the suite; the suite must answer
# `build/bin/xcctl health` with every service up, then stop on Ctrl-C) and `make test`, which
# must end "N passed, 0 failed". Logs are kept in build/container/fresh/out/.
#
# The container has its own loopback (slirp4netns networking), so the suite's fixed ports
# (7110-7141) collide with nothing on the machine; slirp4netns reaches the Debian archive for the
# packages make installs. It has a container's default capabilities (no CAP_LINUX_IMMUTABLE):
# a test that needs more must skip saying why. XC_FRESH_TIMEOUT (s, default 3600) bounds it all.
set -u
NAME=fresh-test TOOLS="git slirp4netns"
source "$(dirname "$0")/podman.sh"
start=$SECONDS

F=$W/fresh
rm -rf "$F" && mkdir -p "$F/in" "$F/out" || exit 1
sha=$(git rev-parse HEAD) || fail "not in a git clone"
git bundle create -q "$F/in/xuncha.bundle" HEAD || fail "git bundle of HEAD failed"
git show "HEAD:tests/container/fresh-inside.sh" > "$F/in/fresh-inside.sh" || fail "HEAD has no tests/container/fresh-inside.sh"
[ -z "$(git status --porcelain)" ] || echo "fresh-test: note: uncommitted changes are not tested, only HEAD ($sha)"

# the fresh machine: minimal Debian 12 plus git and make, nothing they do not depend on
podman run --name xc-fresh-prep --network host localhost/xc-base:latest sh -c \
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git make >/dev/null' \
  >"$F/prep.log" 2>&1 || { tail -5 "$F/prep.log"; fail "git and make did not install in the base"; }
podman commit -q xc-fresh-prep localhost/xc-fresh:latest >/dev/null || fail "podman commit failed"
podman rm xc-fresh-prep >/dev/null
echo "fresh-test: a minimal Debian 12 with git and make, $((SECONDS - start)) s; HEAD $sha goes in"

timeout "${XC_FRESH_TIMEOUT:-3600}" podman run --rm --name xc-fresh --network slirp4netns --pids-limit -1 \
  -v "$F/in:/fresh:ro" -v "$F/out:/out" -e XC_FRESH_SHA="$sha" \
  localhost/xc-fresh:latest bash /fresh/fresh-inside.sh
rc=$?
[ $rc = 124 ] && fail "not done within ${XC_FRESH_TIMEOUT:-3600} s (logs in $F/out)"
[ $rc = 0 ] || fail "failed (exit $rc; logs in $F/out)"
echo "fresh-test: passed in $((SECONDS - start)) s"
