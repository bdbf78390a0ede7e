#!/bin/sh
# Host keys are made on first boot, never shipped in the image.
set -e
# Not root, sshd cannot run (its run script says so): no keys to make.
[ "$(id -u)" = 0 ] || exit 0
if [ ! -e /etc/service/sshd/down ] && [ ! -e /etc/ssh/ssh_host_rsa_key ] || [ "$1" = "-f" ]; then
  echo "No SSH host key available. Generating one..."
  export LC_ALL=C DEBIAN_FRONTEND=noninteractive
  dpkg-reconfigure openssh-server
fi
