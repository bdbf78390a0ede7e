#!/usr/bin/env bash
# Runs a command as PID 1 of a new PID namespace (run it under
# `unshare --pid --fork --mount-proc --mount --propagation private`), with
# overlays over /etc and /usr/sbin so that it sees the machine's files but every
# change lands in SCRATCH. The my_init paths start empty; FIXTURE's tree is
# copied over /.
# --merge-output sends stderr into stdout, so that one pipe keeps the order
# of every line (dash, unlike this bash, would drop variables such as `a.b`).
# --no-exec-dirs leaves no writable directory that allows executing a file,
# as in a read-only container with noexec tmpfs mounts.
# --cgroup DIR puts COMMAND and everything it starts in the cgroup DIR (its
# cgroup.procs), as `docker run --pids-limit` does with a whole container.
# --cwd DIR starts COMMAND in DIR (an image's WORKDIR) instead of /.
# --not-pid1 leaves this shell as PID 1 and runs COMMAND as its child, as under
# `docker run --init` or a shell: signals COMMAND does not handle then kill or
# stop it, and it must be a subreaper to get orphans.
# --fill-scratch FREE fills the file system SCRATCH is on (the harness mounts a
# small tmpfs there) once the fixture is in place, leaving FREE bytes: writes
# under /etc and /usr/sbin then fail with ENOSPC, as on a full disk.
# --private-tmp KEEP mounts fresh tmpfs over /run (0755, as podman's --tmpfs /run)
# and /tmp (1777), so that what COMMAND keeps there is its own; the directory
# KEEP (the executable's) stays where it is.
# --read-only makes /, /etc and /usr/sbin read-only (as --read-only does to a
# container); use it with --private-tmp, which leaves /run and /tmp writable.
# --user UID:GID runs COMMAND as that user, with no supplementary groups and
# no capabilities (a root that setuid()s to another user loses them all).
#   usage: sandbox.sh [--merge-output] [--no-exec-dirs] [--cgroup DIR] [--fill-scratch FREE]
#                     [--cwd DIR] [--not-pid1] [--private-tmp KEEP] [--read-only] [--user UID:GID]
#                     SCRATCH FIXTURE COMMAND...
set -euo pipefail
no_exec_dirs=false
cgroup=''
fill_free=''
cwd=/
not_pid1=false
private_tmp=false
read_only=false
as_user=()
while :; do
  case $1 in
    --merge-output) exec 2>&1 ;;
    --no-exec-dirs) no_exec_dirs=true ;;
    --cgroup) cgroup=$2; shift ;;
    --cwd) cwd=$2; shift ;;
    --not-pid1) not_pid1=true ;;
    --fill-scratch) fill_free=$2; shift ;;
    --private-tmp) private_tmp=true keep=$2; shift ;;
    --read-only) read_only=true ;;
    --user) as_user=(setpriv --reuid="${2%%:*}" --regid="${2##*:}" --clear-groups); shift ;;
    *) break ;;
  esac
  shift
done
scratch=$1 fixture=$2
shift 2
for dir in etc usr/sbin; do
  name=${dir//\//_}
  mkdir -p "$scratch/$name.upper" "$scratch/$name.work"
  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$scratch/$name.upper,workdir=$scratch/$name.work" "/$dir"
done
rm -rf /etc/my_init.d /etc/rc.local /etc/my_init.pre_shutdown.d /etc/my_init.post_shutdown.d /etc/service \
  /etc/container_environment /etc/container_environment.sh /etc/container_environment.json /usr/sbin/enable_insecure_key
cp -a "$fixture/." /
if [ -n "$fill_free" ]; then
  # Set the free space aside, fill the rest (dd stops at ENOSPC), then give it back.
  dd if=/dev/zero of="$scratch/reserve" bs=4096 count=$((fill_free / 4096)) status=none
  dd if=/dev/zero of="$scratch/filler" bs=64K status=none 2>/dev/null || true
  rm "$scratch/reserve"
fi
if $no_exec_dirs; then
  for dir in /run /dev/shm; do mount -t tmpfs -o rw,noexec tmpfs "$dir"; done
  # Read-only in place, not covered: the executable under test may live in /tmp.
  for dir in /tmp /var/tmp; do mount --bind "$dir" "$dir" && mount -o remount,bind,ro "$dir"; done
fi
# Last: the fixture and the scratch directory are in the machine's /tmp.
if $private_tmp; then
  # The executable under test may be in a checkout in /tmp (a CI clone): its directory is held open
  # across the new mounts and bound back at its path, all else of the machine's /tmp hidden.
  exec {kept}<"$keep"
  mount -t tmpfs -o mode=0755 tmpfs /run
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  case $keep in
    # --no-canonicalize: resolved by name, the source would be the new, empty directory.
    /tmp/*|/run/*) mkdir -p "$keep" && mount --no-canonicalize --bind "/proc/self/fd/$kept" "$keep" ;;
  esac
  exec {kept}<&-
fi
if $read_only; then
  mount -o remount,bind,ro /
  for dir in /etc /usr/sbin; do mount -o remount,ro "$dir"; done
fi
if [ -n "$cgroup" ]; then echo $$ > "$cgroup/cgroup.procs"; fi
cd "$cwd"
# As a container starts: no variables of this shell's own, and (as runc does
# for `docker run -it`) a session of its own that owns the terminal, if any.
clean_env=(env -u PWD -u OLDPWD -u SHLVL -u _)
if $not_pid1; then
  status=0
  "${clean_env[@]}" "${as_user[@]}" "$@" || status=$?
  exit "$status"
fi
if [ -t 0 ]; then exec setsid --ctty "${clean_env[@]}" "${as_user[@]}" "$@"; fi
exec "${clean_env[@]}" "${as_user[@]}" "$@"
