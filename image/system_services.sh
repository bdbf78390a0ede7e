#!/bin/bash
# my_init and its directories, then the optional syslog, cron and SSH.
set -euo pipefail
source /bd_build/buildconfig
set -x

# /sbin/my_init itself (one static file, it needs no library) is the Dockerfile's own COPY, after this step.
# runit's programs where Debian's runit package puts them, so that scripts written
# for the reference find them; installing that package later replaces these links
# with its own programs, which work with our supervise/ files.
ln -sf /sbin/my_init /sbin/setuser
for program in chpst runsv runsvdir sv svlogd; do ln -sf /sbin/my_init /usr/bin/$program; done
ln -sf /sbin/my_init /usr/sbin/update-service
mkdir -p /etc/my_init.d /etc/my_init.pre_shutdown.d /etc/my_init.post_shutdown.d /etc/service
# The environment directory is root's; the dumps are readable by the docker_env group.
chmod 700 /etc/container_environment
groupadd -g 8377 docker_env
touch /etc/container_environment.sh /etc/container_environment.json
chown root:docker_env /etc/container_environment.sh /etc/container_environment.json
chmod 640 /etc/container_environment.sh /etc/container_environment.json
ln -sf /etc/container_environment.sh /etc/profile.d/container_environment.sh

if [ "$DISABLE_SYSLOG" -eq 0 ]; then /bd_build/syslog-ng/install.sh; fi
if [ "$DISABLE_CRON" -eq 0 ]; then
  $minimal_apt_get_install cron
  cp -r /bd_build/services/cron /etc/service/cron
  chmod 600 /etc/crontab
  # pam_loginuid fails in containers.
  sed -i 's/^\(session\s*required\s*pam_loginuid.so\)/#\1/' /etc/pam.d/cron
  rm -f /etc/cron.daily/standard /etc/cron.daily/upstart /etc/cron.daily/dpkg /etc/cron.daily/password \
    /etc/cron.weekly/fstrim /etc/cron.d/e2scrub_all
fi
if [ "$DISABLE_SSH" -eq 0 ]; then
  $minimal_apt_get_install openssh-server
  mkdir -p /var/run/sshd /root/.ssh
  chmod 700 /root/.ssh
  cp -r /bd_build/services/sshd /etc/service/sshd
  install -m 0644 /bd_build/services/sshd/sshd_config /etc/ssh/sshd_config
  rm /etc/service/sshd/sshd_config
  install -m 0755 /bd_build/services/sshd/00_regen_ssh_host_keys.sh /etc/my_init.d/00_regen_ssh_host_keys.sh
  rm /etc/service/sshd/00_regen_ssh_host_keys.sh
  # The insecure key: made here, so no private key is in the repository; only
  # `enable_insecure_key` (or my_init --enable-insecure-key) ever authorizes it.
  ssh-keygen -q -t ed25519 -N '' -C baseimage-docker-insecure-key -f /etc/insecure_key
  chmod 644 /etc/insecure_key /etc/insecure_key.pub
  install -m 0755 /bd_build/bin/enable_insecure_key /usr/sbin/enable_insecure_key
fi
