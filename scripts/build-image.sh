#!/usr/bin/env bash
# Builds the reference image from the Dockerfile with docker or podman.
#   usage: scripts/build-image.sh [NAME] [BUILD_ARG=VALUE...]
#   e.g.   scripts/build-image.sh my_init-base BASE_IMAGE=localhost/debian-base:bookworm DISABLE_SSH=1
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman.sh
name=${1:-my_init-base}
shift || true
[ -x dist/my_init-amd64 ] || npm run build
build_args=()
for arg in "$@"; do build_args+=(--build-arg "$arg"); done
# Host networking: the build reaches the same package mirror as this machine.
"$engine" build --network host "${build_args[@]}" -t "$name" .
