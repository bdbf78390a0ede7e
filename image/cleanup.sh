#!/bin/bash
set -euo pipefail
source /bd_build/buildconfig
set -x
apt-get clean
rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*
# Host keys are made at first boot (00_regen_ssh_host_keys.sh), never shipped.
rm -f /etc/ssh/ssh_host_*
rm -rf /bd_build
