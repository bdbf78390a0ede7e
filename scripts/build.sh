#!/usr/bin/env bash
# Builds the executable: dist/my_init-amd64 (also named dist/my_init) and
# dist/my_init-arm64, each one static file with QuickJS, the platform
# (src/platform/*.c) and the programs' TypeScript compiled to bytecode.
#   1. esbuild bundles src/entry.ts into ES modules, one per program and the
#      parts they share (build/modules);
#   2. scripts/compile-bytecode.c compiles them to QuickJS bytecode (build/bytecode.c);
#   3. scripts/platform.mk compiles and links it all with musl, per architecture.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

version=$(node -p 'require("./package.json").version')
jobs=$(nproc)
# Where the intermediate files and the executables go: another copy of the
# build (a second checkout's tests, say) can use its own.
build=${MY_INIT_BUILD_DIR:-build}
dist=${MY_INIT_DIST_DIR:-dist}

# What each architecture needs: musl for amd64 (musl-tools); for arm64 the
# cross compiler and arm64's musl (gcc-aarch64-linux-gnu, musl-dev:arm64).
missing_for() {
  case $1 in
    amd64) command -v musl-gcc >/dev/null || echo 'musl-gcc (apt-get install musl-tools)' ;;
    arm64)
      command -v aarch64-linux-gnu-gcc >/dev/null || echo 'aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)'
      [ -e /usr/lib/aarch64-linux-musl/libc.a ] || echo 'arm64 musl (dpkg --add-architecture arm64; apt-get install musl-dev:arm64)'
      ;;
  esac
}

missing=$(missing_for amd64)
if [ -n "$missing" ]; then
  echo "build: cannot build: missing $missing" >&2
  exit 1
fi

rm -rf "$build/modules"
esbuild src/entry.ts --bundle --splitting --format=esm --platform=neutral --target=es2020 \
  --external:'sys:*' --outdir="$build/modules" --entry-names='[name]' --chunk-names='[name]-[hash]' \
  --define:MY_INIT_VERSION="\"$version\"" --legal-comments=none --minify-syntax --log-level=warning

# The bytecode compiler, and the unit tests' host (test/host/: the same engine and platform, running a bundle from a file).
make -s -j"$jobs" -f scripts/platform.mk ARCH=amd64 BUILD="$build" "$build/amd64/compile-bytecode" "$build/amd64/test-host"
"$build/amd64/compile-bytecode" "$build/bytecode.c" "$build"/modules/*.js

built=()
for arch in amd64 arm64; do
  missing=$(missing_for "$arch")
  if [ -n "$missing" ]; then
    message="build: dist/my_init-$arch not built: missing $missing"
    if [ "${CI:-}" = true ]; then echo "$message" >&2; exit 1; fi
    echo "$message"
    # Not a stale one, which the tests would take for this build.
    rm -f "$dist/my_init-$arch"
    continue
  fi
  make -s -j"$jobs" -f scripts/platform.mk ARCH="$arch" BUILD="$build" BYTECODE="$build/bytecode.c" OUTPUT="$dist/my_init-$arch" executable
  built+=("$dist/my_init-$arch ($(du -k "$dist/my_init-$arch" | cut -f1) KiB)")
done
# The name the tests, the demo and the README use for this machine's.
ln -f "$dist/my_init-amd64" "$dist/my_init"
echo "built ${built[*]}"
