#!/usr/bin/env bash
# mailq tests: a dedicated Exim config that never sends mail off the machine. Every domain is
# local; local parts deliver to a file under the spool, and any address at a domain other than
# the test's local domains is deferred (so it stays queued). The spool directory comes from the
# macro SPOOL (`exim -C /etc/exim4/hostops-test.conf -DSPOOL=/tmp/x ...`), which root may set.
# The file is listed in /etc/exim4/trusted_configs so root keeps its privilege with -C.
# Idempotent.
set -euo pipefail
. "$(dirname "$0")/../exim-trusted-conf.sh"
export DEBIAN_FRONTEND=noninteractive

if ! command -v exim4 >/dev/null 2>&1 || ! command -v exiqgrep >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -q exim4-daemon-light exim4-base
fi

conf=/etc/exim4/hostops-test.conf
cat > "$conf.new" <<'CONF'
# hostops mailq test configuration (written by scripts/setup.d/mailq.sh). Nothing leaves the host.
.ifndef SPOOL
SPOOL = /var/spool/hostops-test
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
message_size_limit = 100M
timeout_frozen_after = 0s
ignore_bounce_errors_after = 0s
deliver_drop_privilege = false
keep_environment =
# -DQUEUE=name: messages submitted on stdin go to the named queue <spool>/name/input (tests of -G)
.ifdef QUEUE
acl_not_smtp_start = acl_hostops_queue
.endif

begin acl

acl_hostops_queue:
  accept queue = QUEUE

begin routers

# Test-only local domains deliver to a file; every other domain is deferred and stays queued.
remote_never:
  driver = redirect
  domains = ! vm : ! localhost
  data = :defer: hostops test config never delivers off the machine
  allow_defer

local_file:
  driver = accept
  transport = local_file

begin transports

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
