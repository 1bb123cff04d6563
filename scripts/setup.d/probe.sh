#!/usr/bin/env bash
# probe tests: unbound (started by the test on a loopback port) and an Exim config for the SMTP
# probe test: a daemon on 127.0.0.1 that offers STARTTLS with the test's certificate (macros
# TLSCERT, TLSKEY) and accepts no mail. Listed in /etc/exim4/trusted_configs so root keeps its
# privilege with -C. Idempotent.
set -euo pipefail
. "$(dirname "$0")/../exim-trusted-conf.sh"
export DEBIAN_FRONTEND=noninteractive
if ! command -v unbound >/dev/null 2>&1 || ! command -v exim4 >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -q unbound exim4-daemon-light
fi
conf=/etc/exim4/hostops-probe-test.conf
cat > "$conf.new" <<'CONF'
# hostops SMTP probe test configuration (written by scripts/setup.d/probe.sh). Accepts no mail.
.ifndef SPOOL
SPOOL = /var/spool/hostops-probe-test
.endif
primary_hostname = probe.test
spool_directory = SPOOL
log_file_path = SPOOL/log/%slog
local_interfaces = 127.0.0.1
exim_user = Debian-exim
exim_group = Debian-exim
trusted_users = root
never_users =
keep_environment =
smtp_banner = probe.test ESMTP hostops probe test
tls_advertise_hosts = *
tls_certificate = TLSCERT
tls_privatekey = TLSKEY
acl_smtp_rcpt = acl_rcpt
begin acl
acl_rcpt:
  deny message = hostops probe test accepts no mail
CONF
trust_exim_conf "$conf"
