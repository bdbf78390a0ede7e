#!/usr/bin/env bash
# Shows dist/my_init at work as a real PID 1 (a new PID namespace, with a
# throw-away /etc): a startup script, the environment dump, an orphan storm
# reaped, the exit code of the main command, and a `docker stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: needs root (unshare makes my_init PID 1 of a new PID namespace)" >&2; exit 1; }
binary=$PWD/dist/my_init
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fixture=$scratch/fixture
mkdir -p "$fixture/etc/my_init.d" "$fixture/etc/container_environment" "$fixture/etc/my_init.pre_shutdown.d"
chmod 700 "$fixture/etc/container_environment"
printf 'from a file\n' > "$fixture/etc/container_environment/GREETING"
printf '#!/bin/sh\necho "[startup] GREETING=$GREETING; adding DB_URL"\necho "postgres://db/app" > /etc/container_environment/DB_URL\n' > "$fixture/etc/my_init.d/10_setup"
printf '#!/bin/sh\necho "[pre-shutdown] saving state"\n' > "$fixture/etc/my_init.pre_shutdown.d/10_save"
chmod +x "$fixture/etc/my_init.d/10_setup" "$fixture/etc/my_init.pre_shutdown.d/10_save"

as_pid1() {
  local name=$1; shift
  mkdir -p "$scratch/$name"
  unshare --pid --fork --mount-proc --mount --propagation private --kill-child \
    test/system/sandbox.sh "$scratch/$name" "$fixture" "$binary" "$@"
}

echo "== $binary ($(du -h "$binary" | cut -f1)), $("$binary" --version)"
echo
echo "== my_init -- a command that leaves 500 orphans and exits 3"
set +e
as_pid1 run1 -- bash -c 'echo "[main] I am PID $$, my parent is PID $PPID; DB_URL=$DB_URL"
  for i in $(seq 500); do (sleep 0.1 &); done; sleep 0.5
  echo "[main] zombies now: $(ps -eo stat= | grep -c "^Z")"
  grep DB_URL /etc/container_environment.sh; exit 3'
echo "(exit code $?)"
echo
echo "== my_init (no command), stopped with SIGTERM after 1 s, as docker stop does"
mkdir -p "$scratch/run2"
unshare --pid --fork --mount-proc --mount --propagation private --kill-child \
  test/system/sandbox.sh "$scratch/run2" "$fixture" "$binary" & unshare_pid=$!
sleep 1
kill -TERM "$(cat /proc/$unshare_pid/task/$unshare_pid/children)"
wait $unshare_pid
echo "(exit code $?)"
