/**
 * Why a provider deferred or refused mail: the remote server's text reduced to a groupable form
 * (addresses, IPs and long ids masked) and put in one of a few categories an operator acts on.
 */

export const CATEGORIES = [
  'greylisted',
  'blocklisted',
  'rate-limited',
  'mailbox-full',
  'user-unknown',
  'tls',
  'spam-content',
  'dns-timeout',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

// first match wins: greylisting texts often say "try again later" too, blocklist texts "rejected"
const RULES: [Category, RegExp][] = [
  ['greylisted', /gr[ae]y-?list|greylisting|4\.7\.1 .*try again later|postgrey/],
  [
    'blocklisted',
    /blocked using|black-?list|block-?list|\bdnsbl\b|\brbl\b|spamhaus|spamcop|barracuda|sorbs|listed (?:at|in|on|by)|poor reputation|ip reputation|\bbanned\b|on our block|5\.7\.606|5\.7\.1 .*\bblocked\b|\bs3150\b|\bs3140\b/,
  ],
  [
    'rate-limited',
    /rate[- ]?limit|receiving mail at a rate|too many (?:connections|messages|recipients|emails|concurrent)|throttl|4\.7\.28|exceeded .*limit|sending limit|slow down|too fast|temporarily deferred|\bts0[1-4]\b|deferred due to user complaints|421 4\.7\.0 \[ts/,
  ],
  [
    'mailbox-full',
    /mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:the )?(?:storage|quota)|insufficient (?:system )?storage|5\.2\.2|4\.2\.2|mailbox size limit/,
  ],
  [
    'user-unknown',
    /user unknown|unknown user|no such user|does not exist|doesn't exist|unknown recipient|invalid recipient|recipient (?:address )?rejected|no mailbox|mailbox unavailable|mailbox not found|5\.1\.1|5\.1\.0|unrouteable address|address rejected|not a valid mailbox|account (?:is )?disabled/,
  ],
  ['tls', /\btls\b|\bssl\b|starttls|certificate|handshake/],
  [
    'spam-content',
    /\bspam\b|content|virus|malware|phish|5\.7\.0 .*policy|message rejected|suspicious|url.*(?:listed|blocked)|dmarc|spf|dkim/,
  ],
  [
    'dns-timeout',
    /timed? ?out|timeout|host lookup|dns|no such host|unroutable|mx records? point|connection refused|connection reset|network is unreachable|no route to host|retry time not reached|all hosts? .*(?:failing|retry)|remote host closed connection|lost connection|could not connect|connect\(\) to/,
  ],
];

export function categorize(text: string): Category {
  const t = text.toLowerCase();
  for (const [c, re] of RULES) if (re.test(t)) return c;
  return 'other';
}

/** The part of a == / ** line after the address and routing fields: what the remote said, or exim's own reason. */
export function reasonOf(rest: string): string {
  let s = rest;
  // "addr R=x T=y defer (-44) H=mx [ip]: text" / "addr R=x T=y H=mx [ip]: text" / "addr: Unrouteable address"
  const h = /\bH=\S+(?: \([^)]*\))? \[[^\]]+\](?::\d+)?(?: [A-Z]+=\S+)*: /.exec(s);
  if (h) s = s.slice(h.index + h[0].length);
  else {
    const i = s.indexOf(': ');
    s = i === -1 ? s : s.slice(i + 2);
  }
  s = s.replace(
    /^SMTP error from remote (?:mail server|mailer) after (?:pipelined )?(?:RCPT TO:<[^>]*>|MAIL FROM:<[^>]*>(?: SIZE=\d+)?|[^:]+): (?:host \S+ \[[^\]]+\]: )?/,
    '',
  );
  return s;
}

/** Mask what differs per message so that equal reasons group: addresses, IP literals, long ids. */
export function normalizeReason(s: string): string {
  return s
    .replace(/<[^<>\s]*@[^<>\s]*>/g, '<ADDR>')
    .replace(/\b[\w.+=-]+@[\w.-]+\b/g, 'ADDR')
    .replace(/\[(?:\d{1,3}\.){3}\d{1,3}\]/g, '[IP]')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, 'IP')
    .replace(/\b(?=[0-9A-Za-z]*\d)[0-9A-Za-z]{12,}\b/g, '#')
    .replace(/\b\d{5,}\b/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}
