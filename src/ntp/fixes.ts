/** The config lines that close each NTP exposure, per server implementation (reference §3). */
export type ServerKind = 'ntpd' | 'ntpsec' | 'chrony' | 'unknown';

export const FIX = {
  ntpd: [
    '# ntpd (ntp.org) /etc/ntp.conf: answer time requests only; no mode 6/7 queries from outside',
    'restrict default kod limited nomodify notrap nopeer noquery',
    'restrict -6 default kod limited nomodify notrap nopeer noquery',
    'restrict 127.0.0.1',
    'restrict ::1',
    '# and upgrade to 4.2.7p26 or later (monlist removed); `disable monitor` alone is not enough:',
    '# any `limited` restrict line turns the monitor back on (ntp_restrict.c inc_res_limited)',
  ],
  ntpsec: [
    '# ntpsec /etc/ntpsec/ntp.conf: restore the default restriction (mode 6 off for strangers)',
    'restrict default kod nomodify nopeer noquery limited',
    'restrict 127.0.0.1',
    'restrict ::1',
    '# and remove any `unrestrict default noquery` line',
  ],
  chrony: [
    '# chrony /etc/chrony/chrony.conf: serve only your own prefixes, rate-limited; command port local',
    'allow 198.18.0.0/15   # replace with your client prefixes; omit `allow` when not serving',
    'ratelimit interval 3 burst 8',
    'bindcmdaddress 127.0.0.1',
    'bindcmdaddress ::1',
    '# or `cmdport 0` (the Unix socket keeps working); never `cmdallow all`',
  ],
} as const;

/** Fix lines for a detected server; all three when the kind is unknown. */
export function fixFor(kind: ServerKind, _modes: number[]): string[] {
  if (kind === 'ntpd') return [...FIX.ntpd];
  if (kind === 'ntpsec') return [...FIX.ntpsec];
  if (kind === 'chrony') return [...FIX.chrony];
  return [
    '# server software not identified; the fix for each:',
    ...FIX.ntpd,
    ...FIX.ntpsec,
    ...FIX.chrony,
  ];
}
