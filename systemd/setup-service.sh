#!/usr/bin/env bash
# Installs `hostops serve` as a systemd service (docs/install.md): the hostops system user, the
# unit, a drop-in with SupplementaryGroups= for the groups owning the Exim spool and log (Debian:
# Debian-exim, adm; cPanel: mail) where they exist, and /etc/hostops/hostops.yaml when missing.
# Then enables and starts it (--no-start: only installs). Idempotent; as root. From the package:
#   bash "$(npm root -g)/hostops/systemd/setup-service.sh"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
start=1
[ "${1:-}" = --no-start ] && start=0

bin="$(command -v hostops || true)"
case "$bin" in
  /usr/local/bin/*|/usr/bin/*) ;;
  *) echo "setup-service: hostops must be installed in /usr/local/bin or /usr/bin (npm install -g); found: ${bin:-nothing}" >&2; exit 3 ;;
esac

if ! getent passwd hostops >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/hostops --no-create-home --shell /usr/sbin/nologin hostops
  echo "setup-service: created the system user hostops"
fi

# the groups owning Exim's spool and logs; never root's group
groups=()
for p in /var/spool/exim4 /var/spool/exim /var/log/exim4 /var/log/exim4/mainlog /var/log/exim_mainlog; do
  [ -e "$p" ] || continue
  g="$(stat -c %G "$p")"
  [ "$g" = root ] || [ "$g" = UNKNOWN ] && continue
  [[ " ${groups[*]} " == *" $g "* ]] || groups+=("$g")
done
install -m 0644 "$here/hostops.service" /etc/systemd/system/hostops.service
dropin=/etc/systemd/system/hostops.service.d/exim-groups.conf
if ((${#groups[@]})); then
  mkdir -p "$(dirname "$dropin")"
  printf '# written by setup-service.sh: read access to the Exim spool and logs\n[Service]\nSupplementaryGroups=%s\n' "${groups[*]}" > "$dropin"
  echo "setup-service: the service reads the Exim spool and logs as a member of: ${groups[*]}"
else
  rm -f "$dropin"
fi

install -d -m 0755 /etc/hostops
if [ ! -e /etc/hostops/hostops.yaml ]; then
  cat > /etc/hostops/hostops.yaml <<'YAML'
# hostops serve (docs/serve.md; every field: docs/hostops.example.yaml in the package).
# With no targets it probes this host and its default gateway. Reload: systemctl reload hostops.
listen:
  host: 127.0.0.1
  port: 8080
store:
  kind: sqlite
  path: hostops.db            # relative: /var/lib/hostops/hostops.db
# targets:
#   - name: upstream
#     host: 192.0.2.1
#     sla: { rtt: "< 20 ms", loss: "< 1%" }
YAML
  echo "setup-service: wrote /etc/hostops/hostops.yaml"
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if ((start)); then
    systemctl enable --now hostops
    echo "setup-service: started; check it with: systemctl status hostops; journalctl -u hostops"
  fi
else
  echo "setup-service: systemd is not running here; the unit is installed in /etc/systemd/system" >&2
fi
