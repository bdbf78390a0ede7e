#!/bin/bash
# Tools people expect in a base image, and the reference's helpers.
set -euo pipefail
source /bd_build/buildconfig
set -x
$minimal_apt_get_install curl less vim-tiny psmisc procps
ln -sf /usr/bin/vim.tiny /usr/bin/vim
install -m 0755 /bd_build/bin/install_clean /sbin/install_clean
# The Galaxy build contract: /app/setup.sh BUNDLE_URL, and the app service it enables.
mkdir -p /app
install -m 0755 /bd_build/app/setup.sh /app/setup.sh
cp -r /bd_build/services/app /etc/service/app
