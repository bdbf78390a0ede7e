# Sourced by the image scripts: podman or docker, and for podman the settings
# this kind of machine needs (crun refuses the kernel's cgroup hybrid mode; the
# default nofile limit exceeds the hard limit), in a file of our own rather
# than in /etc.
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  engine=docker
elif command -v podman >/dev/null; then
  engine=podman
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dist/containers.conf}"
  if [ ! -f "$CONTAINERS_CONF" ]; then
    mkdir -p "$(dirname "$CONTAINERS_CONF")"
    cat > "$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  fi
else
  echo "neither a working docker nor podman is installed" >&2
  exit 1
fi
