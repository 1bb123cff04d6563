/** The full-screen mtr view as a string (pure: the CLI redraws it and handles keys). */
import type { MtrHop, MtrReport } from '../mtr.js';
import { fieldsFor, hostLabel } from './mtr.js';

export interface ScreenState {
  /** 0 table, 1 last-pings map, 2 scaled map */
  mode: number;
  order: string;
  paused: boolean;
  help: boolean;
  numeric: boolean;
  localHost: string;
  cols: number;
  rows: number;
  name?: (ip: string) => string | undefined;
}

const HELP = [
  'Command:',
  '  ?|h     help',
  '  p       pause (SPACE to resume)',
  '  d       switching display mode',
  '  n       toggle DNS on/off',
  "  o str   set the columns to display, default str='LRS N BAWV'",
  '  j       toggle latency(LS NABWV)/jitter(DR AGJMXI) stats',
  '  r       reset all counters',
  '  q       exit',
  '',
  ' press any key to go back',
];

/** Ping map char: '.' below 1/8 of the scale, then 1..8 and a..; '?' lost; '>' above the scale. */
function mapChar(rtt: number | null, scale: number[]): string {
  if (rtt === null) return '?';
  const chars = '.123456789abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < scale.length; i++)
    if (rtt <= scale[i]) return chars[Math.min(i, chars.length - 1)];
  return '>';
}

function scaleFor(hops: MtrHop[], squared: boolean): number[] {
  const all = hops
    .flatMap((h) => h.history.filter((x): x is number => x !== null))
    .sort((a, b) => a - b);
  const max = all.length ? all[Math.floor(all.length * 0.95)] || all[all.length - 1] : 0.001;
  const n = 8;
  return Array.from({ length: n }, (_, i) =>
    squared ? max * ((i + 1) / n) ** 2 : max * ((i + 1) / n),
  );
}

export function renderScreen(r: MtrReport, s: ScreenState): string {
  const lines: string[] = [];
  const title = 'My traceroute  [hostops]';
  lines.push(title.padStart(Math.floor((s.cols + title.length) / 2)));
  const now = new Date().toString().slice(0, 24);
  const left = `${s.localHost} (${r.address}) -> ${r.target}`;
  lines.push(left + now.padStart(Math.max(1, s.cols - left.length)));
  if (s.help) return [...lines, '', ...HELP].join('\n');
  lines.push(
    `Keys:  Help   Display mode   Restart statistics   Order of fields   quit${s.paused ? '   (paused)' : ''}`,
  );
  if (s.mode === 0) {
    const fields = fieldsFor(s.order);
    const hostW = Math.max(20, s.cols - fields.reduce((a, f) => a + f.width, 0) - 5);
    lines.push(' '.repeat(hostW + 4) + 'Packets'.padStart(12) + '               Pings');
    let head = ' Host'.padEnd(hostW + 4);
    for (const f of fields) head += f.title.padStart(f.width);
    lines.push(head);
    for (const h of r.hops) {
      let row = ` ${String(h.ttl).padStart(2)}. ${hostLabel(
        h.hosts[0],
        s.numeric ? undefined : s.name,
      )
        .slice(0, hostW)
        .padEnd(hostW)}`;
      for (const f of fields) row += f.fmt(h).slice(-f.width).padStart(f.width);
      lines.push(row);
      for (const extra of h.hosts.slice(1))
        lines.push(`     ${hostLabel(extra, s.numeric ? undefined : s.name)}`);
    }
  } else {
    const scale = scaleFor(r.hops, s.mode === 2);
    const width = Math.max(10, s.cols - 30);
    lines.push('');
    for (const h of r.hops) {
      const hist = h.history
        .slice(-width)
        .map((x) => mapChar(x, scale))
        .join('');
      lines.push(
        ` ${String(h.ttl).padStart(2)}. ${hostLabel(h.hosts[0], s.numeric ? undefined : s.name)
          .slice(0, 22)
          .padEnd(23)}${hist}`,
      );
    }
    lines.push('');
    const msf = (v: number) => (v * 1000).toFixed(v < 0.001 ? 3 : 1);
    lines.push(
      `Scale:  .:${msf(scale[0])} ms  ${scale
        .slice(1)
        .map((v, i) => `${i + 1}:${msf(v)} ms`)
        .join('  ')}`,
    );
  }
  if (r.advice.length) {
    lines.push('');
    for (const a of r.advice.slice(0, 4))
      lines.push(a.length > s.cols ? a.slice(0, s.cols - 1) + '…' : a);
  }
  return lines.slice(0, s.rows).join('\n');
}
