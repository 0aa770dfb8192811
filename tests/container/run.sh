#!/usr/bin/env bash
# `make container-test`: the image, the compose file and the suite across several hosts, with
# rootful podman (docs/deploy.md). tests/container/podman.sh sets podman up: everything it keeps
# is under build/container (its own storage and settings, never the machine's); at the end the
# containers, volumes, networks, images, namespaces and firewall tables it made are removed.
# Without root or a working podman it says so in one line and fails: it never passes silently.
set -u
NAME=container-test TOOLS="docker-compose nft ip"
source "$(dirname "$0")/podman.sh"

start=$SECONDS
podman build -q --network host --build-arg BASE=localhost/xc-base:latest -f docker/Dockerfile \
  -t localhost/xuncha:test . >"$W/build.log" 2>&1 || { tail -20 "$W/build.log"; fail "the image did not build"; }
echo "container-test: built localhost/xuncha:test in $((SECONDS - start)) s"

# docker-compose (v1) speaks to podman through its API socket
rm -f "$W/podman.sock"
podman system service --time=0 "unix://$W/podman.sock" >"$W/podman-service.log" 2>&1 &
svc_pid=$!
for _ in $(seq 1 50); do [ -S "$W/podman.sock" ] && break; sleep 0.1; done
[ -S "$W/podman.sock" ] || fail "podman's API socket did not come up"
export DOCKER_HOST=unix://$W/podman.sock XC_IMAGE=localhost/xuncha:test

"$PY" -m pytest -q -p no:cacheprovider tests/container "$@"
