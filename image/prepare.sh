#!/bin/bash
# apt and init fixes for containers, as the reference makes them.
set -euo pipefail
source /bd_build/buildconfig
set -x

# Variables every process gets (my_init imports the directory at boot).
mkdir -p /etc/container_environment
printf no > /etc/container_environment/INITRD

# Upstart and chroot detection must not get in the way of package scripts.
dpkg-divert --local --rename --add /sbin/initctl
ln -sf /bin/true /sbin/initctl
dpkg-divert --local --rename --add /usr/bin/ischroot
ln -sf /bin/true /usr/bin/ischroot

apt-get update
$minimal_apt_get_install apt-utils ca-certificates
apt-get dist-upgrade -y --no-install-recommends -o Dpkg::Options::="--force-confold"

# A UTF-8 locale.
if [ -e /etc/debian_version ] && ! grep -qi ubuntu /etc/os-release; then
  $minimal_apt_get_install locales
  sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen
else
  $minimal_apt_get_install language-pack-en
fi
locale-gen en_US.UTF-8
update-locale LANG=en_US.UTF-8 LC_CTYPE=en_US.UTF-8
printf en_US.UTF-8 > /etc/container_environment/LANG
printf en_US.UTF-8 > /etc/container_environment/LC_CTYPE
