#!/usr/bin/env bash
# `make container-test`: the image, the compose file and the suite across several hosts, with
# rootful podman (docs/deploy.md, ../shared/recipes/containers.md). Everything podman keeps is
# under build/container (its own storage and settings, never the machine's); at the end the
# containers, volumes, networks, images, namespaces and firewall tables it made are removed.
# Without root or a working podman it says so in one line and fails: it never passes silently.
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
# XC_CONTAINER_DIR and XC_NETNS_PREFIX let two runs share the machine without touching each other
W=${XC_CONTAINER_DIR:-$root/build/container}
export XC_NETNS_PREFIX=${XC_NETNS_PREFIX:-xct-}
PY=${PY:-/usr/bin/python3}
fail() { echo "container-test: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (rootful podman, network namespaces, nft); none of it ran"
for c in podman runc debootstrap docker-compose nft ip; do
  command -v "$c" >/dev/null || fail "'$c' is missing (make container-test installs it as root with apt)"
done
mkdir -p "$W" || exit 1

# podman's settings: runc (crun fails on this kind of machine's cgroups), open-files within
# the machine's hard limit, storage of our own
HN=$(ulimit -Hn)
cat > "$W/storage.conf" <<EOC
[storage]
driver = "overlay"
graphroot = "$W/storage"
runroot = "$W/runroot"
EOC
cat > "$W/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=$HN:$HN", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOC
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf

# what the machine had before, so that only what we made is removed
nft_before=$(nft list tables 2>/dev/null | sort)
# rootful podman keeps network definitions for the whole machine, not in our storage
networks_before=$(podman network ls --format '{{.Name}}' 2>/dev/null | sort)
forward_before=$(sysctl -n net.ipv4.ip_forward)
svc_pid=
cleanup() {
  set +e
  for c in $(podman ps -aq); do podman rm -f -t 1 "$c" >/dev/null 2>&1; done
  podman volume prune -f >/dev/null 2>&1
  for n in $(podman network ls --format '{{.Name}}' | sort | comm -13 <(echo "$networks_before") -); do
    [ "$n" = podman ] || podman network rm -f "$n" >/dev/null 2>&1
  done
  podman rmi -af >/dev/null 2>&1
  [ -n "$svc_pid" ] && kill "$svc_pid" 2>/dev/null && wait "$svc_pid" 2>/dev/null
  # podman's overlay driver bind-mounts its folder onto itself; a mount left behind would keep
  # build/ from being removed. The containers' conmon and cleanup processes may still be
  # finishing (and mount it again): wait for them, then unmount.
  for _ in $(seq 1 50); do pgrep -f -- "$W/" >/dev/null || break; sleep 0.1; done
  while grep -q " $W/storage/overlay " /proc/mounts; do umount "$W/storage/overlay" 2>/dev/null || break; done
  for ns in $(ip netns list | awk -v p="$XC_NETNS_PREFIX" 'index($1, p) == 1 {print $1}'); do ip netns del "$ns"; done
  [ -n "${XC_KEEP_HOST_FIREWALL:-}" ] || nft list tables 2>/dev/null | sort | comm -13 <(echo "$nft_before") - | while read -r _ family table; do
    [ -n "$table" ] && nft delete table "$family" "$table" 2>/dev/null
  done
  [ -n "${XC_KEEP_HOST_FIREWALL:-}" ] || sysctl -qw net.ipv4.ip_forward="$forward_before"
  echo "container-test: cleaned up (containers, volumes, networks, images, namespaces, firewall tables)"
}
trap cleanup EXIT

# a local Debian 12 base, since no registry is reachable (kept in build/ between runs)
if [ ! -s "$W/base.tar" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  rm -rf "$W/rootfs"
  debootstrap --variant=minbase bookworm "$W/rootfs" "${mirror:-http://deb.debian.org/debian}" >"$W/debootstrap.log" 2>&1 \
    || fail "debootstrap of the base image failed (see $W/debootstrap.log)"
  tar -C "$W/rootfs" -cf "$W/base.tar.tmp" . && mv "$W/base.tar.tmp" "$W/base.tar" && rm -rf "$W/rootfs" || exit 1
fi
podman import -q "$W/base.tar" localhost/xc-base:latest >/dev/null || fail "podman cannot import an image"
podman run --rm localhost/xc-base:latest true 2>"$W/run-check.log" \
  || fail "this machine cannot run containers: $(tail -1 "$W/run-check.log")"

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
