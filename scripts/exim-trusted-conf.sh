# Sourced by the scripts/setup.d/*.sh that write a test Exim configuration to "$conf.new":
# installs it only when it changed, and lists it in /etc/exim4/trusted_configs so root keeps its
# privilege with -C (exim drops it for an untrusted -C file). Idempotent.
trust_exim_conf() {
  local conf=$1 list=/etc/exim4/trusted_configs
  if ! cmp -s "$conf.new" "$conf" 2>/dev/null; then mv "$conf.new" "$conf"; else rm -f "$conf.new"; fi
  touch "$list"
  grep -qxF "$conf" "$list" || echo "$conf" >> "$list"
  chmod 0644 "$conf" "$list"
  chown root:root "$conf" "$list"
}
