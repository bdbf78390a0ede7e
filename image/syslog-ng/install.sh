#!/bin/bash
# syslog-ng, listening only on /dev/log, writing Debian's files in /var/log and
# the syslog stream to the container's stdout (docker logs). Started by a
# startup script, not as a service, as in the reference: it must be up before
# the services that log to it.
set -euo pipefail
source /bd_build/buildconfig
$minimal_apt_get_install syslog-ng-core logrotate
install -m 0644 /bd_build/syslog-ng/syslog-ng.conf /etc/syslog-ng/syslog-ng.conf
mkdir -p /etc/syslog-ng/conf.d
printf 'SYSLOGNG_OPTS="--no-caps"\n' > /etc/default/syslog-ng
touch /var/log/syslog
chmod 640 /var/log/syslog
install -m 0755 /bd_build/syslog-ng/syslog-ng.init /etc/my_init.d/10_syslog-ng.init
install -m 0755 /bd_build/syslog-ng/syslog-ng.shutdown /etc/my_init.post_shutdown.d/10_syslog-ng.shutdown
install -m 0644 /bd_build/syslog-ng/logrotate.conf /etc/logrotate.conf
install -m 0644 /bd_build/syslog-ng/logrotate_syslog-ng /etc/logrotate.d/syslog-ng
