/** mtr 0.95 report layouts: --report, --report-wide, --json, --csv (same fields and widths). */
import { mtrMplsLine } from '../mpls.js';
import type { MtrHop, MtrReport } from '../mtr.js';

interface Field {
  key: string;
  title: string;
  width: number;
  fmt: (h: MtrHop) => string;
  json: (h: MtrHop) => number;
  float: boolean;
}

const f1 = (w: number) => (v: number) => ' ' + (v * 1000).toFixed(1).padStart(w - 1);
const FIELDS: Record<string, Field> = {
  ' ': { key: ' ', title: ' ', width: 1, fmt: () => ' ', json: () => 0, float: false },
  L: {
    key: 'L',
    title: 'Loss%',
    width: 6,
    fmt: (h) => ` ${(h.loss1000 / 1000).toFixed(1).padStart(4)}%`,
    json: (h) => h.loss1000 / 1000,
    float: true,
  },
  D: {
    key: 'D',
    title: 'Drop',
    width: 5,
    fmt: (h) => ` ${String(h.drop).padStart(4)}`,
    json: (h) => h.drop,
    float: false,
  },
  R: {
    key: 'R',
    title: 'Rcv',
    width: 6,
    fmt: (h) => ` ${String(h.received).padStart(5)}`,
    json: (h) => h.received,
    float: false,
  },
  S: {
    key: 'S',
    title: 'Snt',
    width: 6,
    fmt: (h) => ` ${String(h.sent).padStart(5)}`,
    json: (h) => h.sent,
    float: false,
  },
  N: {
    key: 'N',
    title: 'Last',
    width: 6,
    fmt: (h) => f1(6)(h.last),
    json: (h) => h.last * 1000,
    float: true,
  },
  B: {
    key: 'B',
    title: 'Best',
    width: 6,
    fmt: (h) => f1(6)(h.best),
    json: (h) => h.best * 1000,
    float: true,
  },
  A: {
    key: 'A',
    title: 'Avg',
    width: 6,
    fmt: (h) => f1(6)(h.avg),
    json: (h) => h.avg * 1000,
    float: true,
  },
  W: {
    key: 'W',
    title: 'Wrst',
    width: 6,
    fmt: (h) => f1(6)(h.worst),
    json: (h) => h.worst * 1000,
    float: true,
  },
  V: {
    key: 'V',
    title: 'StDev',
    width: 6,
    fmt: (h) => f1(6)(h.stdev),
    json: (h) => h.stdev * 1000,
    float: true,
  },
  G: {
    key: 'G',
    title: 'Gmean',
    width: 6,
    fmt: (h) => f1(6)(h.gmean),
    json: (h) => h.gmean * 1000,
    float: true,
  },
  J: {
    key: 'J',
    title: 'Jttr',
    width: 5,
    fmt: (h) => f1(5)(h.jitter),
    json: (h) => h.jitter * 1000,
    float: true,
  },
  M: {
    key: 'M',
    title: 'Javg',
    width: 5,
    fmt: (h) => f1(5)(h.javg),
    json: (h) => h.javg * 1000,
    float: true,
  },
  X: {
    key: 'X',
    title: 'Jmax',
    width: 5,
    fmt: (h) => f1(5)(h.jmax),
    json: (h) => h.jmax * 1000,
    float: true,
  },
  I: {
    key: 'I',
    title: 'Jint',
    width: 5,
    fmt: (h) => f1(5)(h.jint),
    json: (h) => h.jint * 1000,
    float: true,
  },
};

export const DEFAULT_ORDER = 'LS NABWV';
export const JITTER_ORDER = 'DR AGJMXI';

export function fieldsFor(order: string): Field[] {
  return [...order].map((c) => FIELDS[c]).filter(Boolean);
}

export function validOrder(order: string): boolean {
  return [...order].every((c) => c in FIELDS);
}

/** Write s at column `at`, cutting what was there (mtr prints each field at a fixed offset). */
function place(buf: string, at: number, s: string): string {
  return buf.length > at ? buf.slice(0, at) + s : buf.padEnd(at) + s;
}

export function hostLabel(
  ip: string | undefined,
  name?: (ip: string) => string | undefined,
): string {
  if (!ip) return '???';
  return name?.(ip) ?? ip;
}

/** mtr -b: `name (address)` when the name differs from the address, the address alone when not. */
export function hostLabelIps(
  ip: string | undefined,
  name?: (ip: string) => string | undefined,
): string {
  const n = hostLabel(ip, name);
  return ip && n !== ip ? `${n} (${ip})` : n;
}

/** mtr -z's AS column without a lookup answer (we make no queries off the host): always AS???. */
const AS_COL = 'AS???'.padEnd(9);

export function reportText(
  r: MtrReport,
  o: {
    localHost: string;
    wide: boolean;
    order?: string;
    name?: (ip: string) => string | undefined;
    showIps?: boolean;
    asLookup?: boolean;
    mpls?: boolean;
  },
): string {
  const fields = fieldsFor(o.order ?? DEFAULT_ORDER);
  const label = (ip: string | undefined) =>
    o.showIps ? hostLabelIps(ip, o.name) : hostLabel(ip, o.name);
  let hostW = 33;
  if (o.wide) {
    hostW = o.localHost.length;
    for (const h of r.hops)
      hostW = Math.max(hostW, label(h.hosts[0]).length + (o.asLookup ? AS_COL.length : 0));
  }
  const lines: string[] = [`Start: ${isoTime(r.start)}`];
  let buf = `HOST: ${o.localHost.padEnd(hostW)}`;
  let len = o.wide ? buf.length : hostW;
  for (const f of fields) {
    buf = place(buf, len, f.title.padStart(f.width));
    len += f.width;
  }
  lines.push(buf);
  for (const h of r.hops) {
    // -z: ' N. AS???    name', its fields in the header's column (mtr 0.95 measured); else ' N.|-- name'
    buf = o.asLookup
      ? ` ${String(h.ttl).padStart(2)}. ${AS_COL}${label(h.hosts[0])}`.padEnd(6 + hostW)
      : ` ${String(h.ttl).padStart(2)}.|-- ${label(h.hosts[0]).padEnd(hostW)}`;
    len = o.wide ? buf.length : hostW;
    for (const f of fields) {
      buf = place(buf, len, f.fmt(h));
      len += f.width;
    }
    lines.push(buf);
    // -e: the hop's label stack under its row (mtr 0.95 as Debian builds it prints these only with -z;
    // hostops prints them whenever -e is given)
    if (o.mpls) for (const l of h.mpls ?? []) lines.push(mtrMplsLine(l));
    for (let z = 1; z < h.hosts.length; z++)
      lines.push(`    |  ${z === 1 ? '`' : ' '}|-- ${h.hosts[z]}`);
  }
  return lines.join('\n');
}

/** mtr's Start: line, ISO 8601 with the local offset (like strftime %FT%T%z). */
export function isoTime(epoch: number): string {
  const d = new Date(epoch * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60000);
  return `${local.toISOString().slice(0, 19)}${off >= 0 ? '+' : '-'}${p(off / 60)}${p(off % 60)}`;
}

/** jansson real with 5 significant digits; always has a decimal point. */
function real(v: number): string {
  let s = String(Number(v.toPrecision(5)));
  if (!/[.e]/.test(s)) s += '.0';
  return s;
}

export function reportJson(
  r: MtrReport,
  o: { localHost: string; order?: string; name?: (ip: string) => string | undefined },
): string {
  const fields = fieldsFor(o.order ?? DEFAULT_ORDER).filter((f) => f.key !== ' ');
  const ind = (n: number) => ' '.repeat(n * 4);
  const hubs = r.hops.map((h) => {
    const rows = [
      `${ind(4)}"count": ${h.ttl}`,
      `${ind(4)}"host": ${JSON.stringify(hostLabel(h.hosts[0], o.name))}`,
    ];
    for (const f of fields)
      rows.push(
        `${ind(4)}${JSON.stringify(f.title)}: ${f.float ? real(f.json(h)) : String(f.json(h))}`,
      );
    return `${ind(3)}{\n${rows.join(',\n')}\n${ind(3)}}`;
  });
  return [
    '{',
    `${ind(1)}"report": {`,
    `${ind(2)}"mtr": {`,
    `${ind(3)}"src": ${JSON.stringify(o.localHost)},`,
    `${ind(3)}"dst": ${JSON.stringify(r.target)},`,
    `${ind(3)}"tos": ${r.tos},`,
    `${ind(3)}"tests": ${r.cycles},`,
    `${ind(3)}"psize": "${r.packetSize}",`,
    `${ind(3)}"bitpattern": "0x00"`,
    `${ind(2)}},`,
    `${ind(2)}"hubs": [${hubs.length ? '\n' + hubs.join(',\n') + '\n' + ind(2) : ''}]`,
    `${ind(1)}}`,
    '}',
  ].join('\n');
}

export function reportCsv(
  r: MtrReport,
  o: { order?: string; name?: (ip: string) => string | undefined },
): string {
  const fields = fieldsFor(o.order ?? DEFAULT_ORDER);
  const lines = [
    `Mtr_Version,Start_Time,Status,Host,Hop,Ip,${fields.map((f) => f.title + ',').join('')}`,
  ];
  for (const h of r.hops) {
    const vals = fields.map((f) => (f.float ? f.json(h).toFixed(2) : String(f.json(h))));
    lines.push(
      `MTR.0.95,${Math.trunc(r.start)},OK,${r.target},${h.ttl},${hostLabel(h.hosts[0], o.name)},${vals.join(',')}`,
    );
  }
  return lines.join('\n');
}

const xmlEsc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** mtr 0.95 --xml: each field in its report format, `Loss%` named `Loss`, blank fields skipped. */
export function reportXml(
  r: MtrReport,
  o: { localHost: string; order?: string; name?: (ip: string) => string | undefined },
): string {
  const fields = fieldsFor(o.order ?? DEFAULT_ORDER).filter((f) => f.key !== ' ');
  const lines = [
    '<?xml version="1.0"?>',
    `<MTR SRC="${xmlEsc(o.localHost)}" DST="${xmlEsc(r.target)}" TOS="0x${r.tos.toString(16).toUpperCase()}" PSIZE="${r.packetSize}" BITPATTERN="0x00" TESTS="${r.cycles}">`,
  ];
  for (const h of r.hops) {
    lines.push(`    <HUB COUNT="${h.ttl}" HOST="${xmlEsc(hostLabel(h.hosts[0], o.name))}">`);
    for (const f of fields) {
      const tag = f.title === 'Loss%' ? 'Loss' : f.title;
      lines.push(`        <${tag}>${f.fmt(h)}</${tag}>`);
    }
    lines.push('    </HUB>');
  }
  lines.push('</MTR>');
  return lines.join('\n');
}
