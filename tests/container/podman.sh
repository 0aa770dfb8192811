# Rootful podman for the container tests (sourced by tests/container/run.sh and fresh.sh; see
# docs/deploy.md and ../shared/recipes/containers.md). Before sourcing, set NAME (the test's name,
# for its messages) and TOOLS (the commands it needs beyond podman, runc and debootstrap).
#
# It gives: root, podman's settings and storage of our own under $W (build/container; never the
# machine's), a trap that removes at exit every container, volume, network, image, namespace and
# firewall table made meanwhile, and localhost/xc-base:latest, a minimal Debian 12 imported from
# $W/base.tar (debootstrapped once and kept). Without root or a working podman it says so in one
# line and fails: a container test never passes silently.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
# XC_CONTAINER_DIR and XC_NETNS_PREFIX let two runs share the machine without touching each other
W=${XC_CONTAINER_DIR:-$root/build/container}
export XC_NETNS_PREFIX=${XC_NETNS_PREFIX:-xct-}
PY=${PY:-/usr/bin/python3}
fail() { echo "$NAME: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (rootful podman, network namespaces, nft); none of it ran"
for c in podman runc debootstrap $TOOLS; do
  command -v "$c" >/dev/null || fail "'$c' is missing (make $NAME installs it as root with apt)"
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
  if command -v ip >/dev/null; then
    for ns in $(ip netns list | awk -v p="$XC_NETNS_PREFIX" 'index($1, p) == 1 {print $1}'); do ip netns del "$ns"; done
  fi
  [ -n "${XC_KEEP_HOST_FIREWALL:-}" ] || nft list tables 2>/dev/null | sort | comm -13 <(echo "$nft_before") - | while read -r _ family table; do
    [ -n "$table" ] && nft delete table "$family" "$table" 2>/dev/null
  done
  [ -n "${XC_KEEP_HOST_FIREWALL:-}" ] || sysctl -qw net.ipv4.ip_forward="$forward_before"
  echo "$NAME: cleaned up (containers, volumes, networks, images, namespaces, firewall tables)"
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
