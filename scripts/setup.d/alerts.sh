#!/usr/bin/env bash
# alerts tests: Debian's Alertmanager (the tests start their own instance, never the packaged
# service) and an Exim config for the SMTP notifier test: a daemon on 127.0.0.1 that accepts mail
# for the test's local domains only and delivers it to a file under the spool (macro SPOOL);
# nothing is relayed. Listed in /etc/exim4/trusted_configs so root keeps its privilege with -C.
# Idempotent.
set -euo pipefail
. "$(dirname "$0")/../exim-trusted-conf.sh"
export DEBIAN_FRONTEND=noninteractive

if ! command -v prometheus-alertmanager >/dev/null 2>&1 || ! command -v exim4 >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -q prometheus-alertmanager exim4-daemon-light
fi

conf=/etc/exim4/hostops-alerts-test.conf
cat > "$conf.new" <<'CONF'
# hostops alerts SMTP test configuration (written by scripts/setup.d/alerts.sh). Nothing leaves the host.
.ifndef SPOOL
SPOOL = /var/spool/hostops-alerts-test
.endif
primary_hostname = vm
qualify_domain = vm
spool_directory = SPOOL
log_file_path = SPOOL/log/%slog
local_interfaces = 127.0.0.1
exim_user = Debian-exim
exim_group = Debian-exim
trusted_users = root
never_users =
tls_advertise_hosts =
deliver_drop_privilege = false
keep_environment =
acl_smtp_rcpt = acl_rcpt

begin acl

acl_rcpt:
  accept hosts = 127.0.0.1
         domains = vm : localhost
  deny   message = hostops test config accepts mail for vm and localhost only

begin routers

local_file:
  driver = accept
  domains = vm : localhost
  transport = local_file

begin transports

local_file:
  driver = appendfile
  file = SPOOL/mail/local
  user = Debian-exim
  group = Debian-exim
  mode = 0600
CONF
trust_exim_conf "$conf"
