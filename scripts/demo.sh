#!/usr/bin/env bash
# Shows dist/my_init at work as a real PID 1 (a new PID namespace, with a
# throw-away /etc): a startup script, the environment dump, an orphan storm
# reaped, the exit code of the main command, a supervised service with its
# logger (sv status, a crash and its restart, the logged lines), and a
# `docker stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: needs root (unshare makes my_init PID 1 of a new PID namespace)" >&2; exit 1; }
binary=$PWD/dist/my_init
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The first two runs: a startup script that adds a variable, and a pre-shutdown script.
fixture=$scratch/fixture
mkdir -p "$fixture/etc/my_init.d" "$fixture/etc/container_environment" "$fixture/etc/my_init.pre_shutdown.d"
chmod 700 "$fixture/etc/container_environment"
printf 'from a file\n' > "$fixture/etc/container_environment/GREETING"
printf '#!/bin/sh\necho "[startup] GREETING=$GREETING; adding DB_URL"\necho "postgres://db/app" > /etc/container_environment/DB_URL\n' > "$fixture/etc/my_init.d/10_setup"
printf '#!/bin/sh\necho "[pre-shutdown] saving state"\n' > "$fixture/etc/my_init.pre_shutdown.d/10_save"
chmod +x "$fixture/etc/my_init.d/10_setup" "$fixture/etc/my_init.pre_shutdown.d/10_save"

# The third: a service that crashes after a second, with a logger; sv and svlogd are the executable
# under runit's names, in /usr/sbin (the sandbox lays a throw-away copy over it).
services=$scratch/services
mkdir -p "$services/etc/service/ticker/log/main" "$services/usr/sbin"
printf '#!/bin/sh\necho "started as PID $$"\nsleep 1\necho "crashing"\nexit 1\n' > "$services/etc/service/ticker/run"
printf '#!/bin/sh\nexec svlogd -tt ./main\n' > "$services/etc/service/ticker/log/run"
chmod +x "$services/etc/service/ticker/run" "$services/etc/service/ticker/log/run"
ln -s "$binary" "$services/usr/sbin/sv"
ln -s "$binary" "$services/usr/sbin/svlogd"

# as_pid1 NAME FIXTURE ARGS...: my_init ARGS as PID 1 of a new PID namespace, over FIXTURE.
as_pid1() {
  local name=$1 files=$2; shift 2
  mkdir -p "$scratch/$name"
  unshare --pid --fork --mount-proc --mount --propagation private --kill-child \
    test/system/sandbox.sh "$scratch/$name" "$files" "$binary" "$@"
}

echo "== $binary ($(du -k "$binary" | cut -f1) KiB, $(file -b "$binary" | grep -o 'statically linked')), $("$binary" --version)"
echo
echo "== my_init -- a command that leaves 500 orphans and exits 3"
set +e
as_pid1 run1 "$fixture" -- bash -c 'echo "[main] I am PID $$, my parent is PID $PPID; DB_URL=$DB_URL"
  for i in $(seq 500); do (sleep 0.1 &); done; sleep 0.5
  echo "[main] zombies now: $(ps -eo stat= | grep -c "^Z")"
  grep DB_URL /etc/container_environment.sh; exit 3'
echo "(exit code $?)"
echo
echo "== a supervised service that crashes every second, and its logger (svlogd -tt)"
as_pid1 run2 "$services" --quiet -- bash -c 'sleep 3.5
  echo "[main] sv status: $(sv status /etc/service/ticker)"
  echo "[main] what the logger wrote:"; sed "s/^/    /" /etc/service/ticker/log/main/current'
echo "(exit code $?)"
echo
echo "== my_init (no command), stopped with SIGTERM after 1 s, as docker stop does"
mkdir -p "$scratch/run3"
unshare --pid --fork --mount-proc --mount --propagation private --kill-child \
  test/system/sandbox.sh "$scratch/run3" "$fixture" "$binary" & unshare_pid=$!
sleep 1
kill -TERM "$(cat /proc/$unshare_pid/task/$unshare_pid/children)"
wait $unshare_pid
echo "(exit code $?)"
