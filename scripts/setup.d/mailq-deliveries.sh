#!/usr/bin/env bash
# mailq deliveries tests: an Exim config whose remote domains are delivered over SMTP to a test
# server on loopback only (127.0.0.1 or 127.0.0.2, port from the PORT macro), which answers with
# real providers' 4xx/5xx texts; local domain vm goes to a file; RCPT and DATA ACLs reject a few
# addresses so the log holds our own rejections too. Listed in /etc/exim4/trusted_configs so
# root keeps its privilege with -C. Idempotent. Needs exim4 (scripts/setup.d/mailq.sh).
set -euo pipefail
. "$(dirname "$0")/../exim-trusted-conf.sh"
export DEBIAN_FRONTEND=noninteractive
if ! command -v exim4 >/dev/null 2>&1 || ! command -v eximstats >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -q exim4-daemon-light exim4-base
fi
conf=/etc/exim4/hostops-deliveries-test.conf
cat > "$conf.new" <<'CONF'
# hostops mailq deliveries test configuration (scripts/setup.d/mailq-deliveries.sh). Loopback only.
.ifndef SPOOL
SPOOL = /var/spool/hostops-test
.endif
.ifndef PORT
PORT = 2525
.endif
primary_hostname = vm
qualify_domain = vm
spool_directory = SPOOL
log_file_path = SPOOL/log/%slog
log_selector = +arguments +subject +received_recipients
exim_user = Debian-exim
exim_group = Debian-exim
trusted_users = root
never_users =
timeout_frozen_after = 0s
deliver_drop_privilege = false
keep_environment =
smtp_enforce_sync = false
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data

begin acl

acl_rcpt:
  deny    local_parts = spamtrap
          message = JunkMail rejected - listed at zen.spamhaus.org
  defer   local_parts = grey
          message = greylisted, try again later
  accept  domains = vm
  accept  hosts = :
  deny    message = relay not permitted

acl_data:
  deny    condition = ${if def:h_X-Test-Virus:}
          message = This message contains a virus (Eicar-Signature).
  accept

begin routers

to_loopback:
  driver = accept
  domains = ! vm : ! localhost
  transport = loopback_smtp

local_file:
  driver = accept
  transport = local_file

begin transports

loopback_smtp:
  driver = smtp
  hosts = ${if match{$domain}{^b\N\.\N}{127.0.0.2}{127.0.0.1}}
  hosts_override
  allow_localhost
  port = PORT
  hosts_avoid_tls = *

local_file:
  driver = appendfile
  file = SPOOL/mail/local
  user = Debian-exim
  group = Debian-exim
  mode = 0600

begin retry
*   *   F,1d,1d
CONF
trust_exim_conf "$conf"
