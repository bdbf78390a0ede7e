#!/usr/bin/env bash
# Makes this machine run arm64 executables under qemu-user, as `npm run
# test:arm64` needs (as root; .ci/run calls it; running it again changes
# nothing): binfmt_misc mounted, and Debian's qemu-aarch64 entry enabled
# (qemu-user-static and binfmt-support installed it). The executable is
# static, so qemu needs no arm64 libraries.
set -euo pipefail
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/status" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt"
fi
if [ ! -e "$binfmt/qemu-aarch64" ] || ! grep -qx enabled "$binfmt/qemu-aarch64"; then
  update-binfmts --enable qemu-aarch64
fi
echo "qemu-arm64: $(head -n 1 "$binfmt/qemu-aarch64") ($(sed -n 's/^interpreter //p' "$binfmt/qemu-aarch64"))"
