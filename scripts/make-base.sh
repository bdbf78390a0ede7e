#!/usr/bin/env bash
# Makes a Debian base image with debootstrap, for machines that reach a Debian
# mirror but no container registry (as CI here). The mirror is the one this
# machine's apt uses.
#   usage: scripts/make-base.sh [IMAGE_NAME]   (default: localhost/debian-base:bookworm)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman.sh
name=${1:-localhost/debian-base:bookworm}
suite=bookworm

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "make-base: no Debian mirror found in this machine's apt sources" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "make-base: debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >/dev/null
# The mirror the image's apt uses is the one it was made from.
echo "deb $mirror $suite main" > "$root/etc/apt/sources.list"
tar -C "$root" -c . | "$engine" import - "$name" >/dev/null
echo "make-base: $name"
