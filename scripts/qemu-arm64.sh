#!/usr/bin/env bash
# Makes this machine run arm64 executables under qemu-user, as `npm run
# test:arm64` needs (as root; .ci/run calls it; running it again changes nothing):
# binfmt_misc mounted, Debian's qemu-aarch64 entry enabled (qemu-user-static
# and binfmt-support installed it), and the arm64 libraries where qemu looks for
# an arm64 program's loader. That place is /etc/qemu-binfmt/aarch64 rather than
# QEMU_LD_PREFIX: a variable would have to reach every arm64 process the tests
# start, through my_init, chpst and `env -i`, and would show in every
# environment they compare.
set -euo pipefail
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/status" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt"
fi
if [ ! -e "$binfmt/qemu-aarch64" ] || ! grep -qx enabled "$binfmt/qemu-aarch64"; then
  update-binfmts --enable qemu-aarch64
fi
if [ ! -e /etc/qemu-binfmt/aarch64 ]; then
  mkdir -p /etc/qemu-binfmt
  ln -s /usr/aarch64-linux-gnu /etc/qemu-binfmt/aarch64
fi
echo "qemu-arm64: $(head -n 1 "$binfmt/qemu-aarch64") ($(sed -n 's/^interpreter //p' "$binfmt/qemu-aarch64")), loader from $(readlink -f /etc/qemu-binfmt/aarch64)"
