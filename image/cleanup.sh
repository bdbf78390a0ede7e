#!/bin/bash
set -euo pipefail
source /bd_build/buildconfig
set -x
apt-get clean
rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*
# Host keys are made at first boot (00_regen_ssh_host_keys.sh), never shipped.
rm -f /etc/ssh/ssh_host_*
find /bd_build -mindepth 1 -maxdepth 1 ! -name buildconfig ! -name cleanup.sh -exec rm -rf {} +
