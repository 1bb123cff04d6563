/**
 * iperf3's human-readable layout (iperf_locale.c formats), rendered from the -J objects so text
 * and JSON are two views of one result. Transfer is 1024-based, bitrate 1000-based.
 */
import { formatUnit, type UnitFormat } from './units.js';
import type { TestSettings } from './params.js';
import type { Json } from './session.js';

export const SEPARATOR = '- - - - - - - - - - - - - - - - - - - - - - - - -';
export const BANNER = '-----------------------------------------------------------';

/** C's %.<p>g for the loss percentage. */
export function cfmtG(x: number, p = 2): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const exp = Math.floor(Math.log10(Math.abs(x)));
  const rounded = Number(x.toPrecision(p));
  const e2 = Math.floor(Math.log10(Math.abs(rounded)));
  if (e2 < -4 || e2 >= p) {
    const [m, e] = rounded.toExponential(p - 1).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  void exp;
  const s = rounded.toFixed(Math.max(0, p - 1 - e2));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const id3 = (n: number | string) => (typeof n === 'number' ? String(n).padStart(3) : n.padStart(3));
const f62 = (n: number) => n.toFixed(2).padStart(6);
const fL62 = (n: number) => n.toFixed(2).padEnd(6);
const span = (a: number, b: number) => `${f62(a)}-${fL62(b)}`;

function role(sender: boolean, who: 'c' | 's'): string {
  return `[${sender ? 'TX' : 'RX'}-${who === 'c' ? 'C' : 'S'}]`;
}

export function connectingLines(host: string, port: number, reverse: boolean): string[] {
  const out = [`Connecting to host ${host}, port ${port}`];
  if (reverse) out.push(`Reverse mode, remote host ${host} is sending`);
  return out;
}

export function connectedLines(start: Json): string[] {
  return (start.connected as Json[]).map(
    (c) =>
      `[${id3(c.socket as number)}] local ${c.local_host} port ${c.local_port} connected to ${c.remote_host} port ${c.remote_port}`,
  );
}

/** -f applies to the bitrate column only (transfer and Cwnd stay adaptive bytes), as iperf3. */
function bwRow(
  tag: string,
  start: number,
  end: number,
  bytes: number,
  seconds: number,
  tail: string,
  unit: UnitFormat = 'a',
): string {
  const bps = seconds > 0 ? bytes / seconds : 0;
  return `${tag} ${span(start, end)} sec  ${formatUnit(bytes, 'A')}s  ${formatUnit(bps, unit)}s/sec${tail}`;
}

function header(s: TestSettings, kind: 'udp-sender' | 'udp' | 'tcp'): string {
  const id = s.bidir ? '[ ID][Role]' : '[ ID]';
  if (kind === 'udp')
    return `${id} Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams`;
  if (kind === 'udp-sender')
    return `${id} Interval           Transfer     Bitrate         Total Datagrams`;
  return `${id} Interval           Transfer     Bitrate`;
}

function udpTail(j: Json, label: string): string {
  const lost = (j.lost_packets as number) ?? 0;
  const packets = (j.packets as number) ?? 0;
  const pct = packets > 0 ? (100 * lost) / packets : 0;
  return `  ${((j.jitter_ms as number) ?? 0).toFixed(3).padStart(5)} ms  ${lost}/${packets} (${cfmtG(pct)}%)  ${label}`;
}

/** One -i report: header before the first, a separator between groups when there are sums. */
export function intervalLines(
  iv: Json,
  s: TestSettings,
  who: 'c' | 's',
  index: number,
  tcpInfoShown = false,
  unit: UnitFormat = 'a',
): string[] {
  const out: string[] = [];
  const streams = iv.streams as Json[];
  const udp = s.protocol === 'udp';
  const multi = s.parallel > 1;
  const senderView = streams.length > 0 && streams.every((x) => x.sender);
  const retrView =
    !udp && (streams.some((x) => 'retransmits' in x) || (who === 'c' && tcpInfoShown));
  if (index === 0)
    out.push(
      retrView
        ? `${s.bidir ? '[ ID][Role]' : '[ ID]'} Interval           Transfer     Bitrate         Retr  Cwnd`
        : header(s, udp ? (senderView ? 'udp-sender' : 'udp') : 'tcp'),
    );
  else if (multi) out.push(SEPARATOR);
  const omitted = (j: Json) => (j.omitted ? '(omitted)' : '');
  const row = (tag: string, j: Json) => {
    const tail = !udp
      ? typeof j.retransmits === 'number'
        ? typeof j.snd_cwnd === 'number'
          ? `  ${String(j.retransmits).padStart(3)}   ${formatUnit(j.snd_cwnd as number, 'A')}s       ${omitted(j)}`
          : `  ${String(j.retransmits).padStart(3)}             ${omitted(j)}`
        : `                  ${omitted(j)}`
      : j.sender
        ? `  ${j.packets}  ${omitted(j)}`
        : udpTail(j, omitted(j));
    return bwRow(
      tag,
      j.start as number,
      j.end as number,
      j.bytes as number,
      j.seconds as number,
      tail,
      unit,
    );
  };
  for (const st of streams)
    out.push(
      row(`[${id3(st.socket as number)}]${s.bidir ? role(st.sender as boolean, who) : ''}`, st),
    );
  if (multi) {
    if (iv.sum)
      out.push(
        row(`[SUM]${s.bidir ? role((iv.sum as Json).sender as boolean, who) : ''}`, iv.sum as Json),
      );
    if (iv.sum_bidir_reverse)
      out.push(
        row(
          `[SUM]${role((iv.sum_bidir_reverse as Json).sender as boolean, who)}`,
          iv.sum_bidir_reverse as Json,
        ),
      );
  }
  return out;
}

/**
 * Final summary. The server prints only what it measured itself (its sender or receiver rows),
 * as iperf3 does, because it prints before the results exchange.
 */
export function summaryLines(
  end: Json,
  s: TestSettings,
  who: 'c' | 's',
  unit: UnitFormat = 'a',
): string[] {
  const out = [SEPARATOR];
  const udp = s.protocol === 'udp';
  const streams = (end.streams as Json[]) ?? [];
  const retr =
    !udp &&
    streams.some((r) => typeof (r.sender as Json)?.retransmits === 'number') &&
    !(
      who === 's' &&
      streams.every(
        (r) => !(r.sender as Json).sender || typeof (r.sender as Json).retransmits !== 'number',
      )
    );
  out.push(
    retr
      ? `${s.bidir ? '[ ID][Role]' : '[ ID]'} Interval           Transfer     Bitrate         Retr`
      : header(s, udp ? 'udp' : 'tcp'),
  );
  const senderTail = (j: Json) =>
    typeof j.retransmits === 'number'
      ? `  ${String(j.retransmits).padStart(3)}             sender`
      : '                  sender';
  const groups: { rows: Json[]; sent?: Json; recv?: Json }[] = [];
  if (s.bidir) {
    const half = streams.length / 2;
    groups.push({
      rows: streams.slice(0, half),
      sent: end.sum_sent as Json,
      recv: end.sum_received as Json,
    });
    groups.push({
      rows: streams.slice(half),
      sent: end.sum_sent_bidir_reverse as Json,
      recv: end.sum_received_bidir_reverse as Json,
    });
  } else {
    groups.push({ rows: streams, sent: end.sum_sent as Json, recv: end.sum_received as Json });
  }
  for (const g of groups) {
    for (const r of g.rows) {
      if (udp) {
        const u = r.udp as Json;
        const sender = u.sender as boolean;
        const tag = `[${id3(u.socket as number)}]${s.bidir ? role(sender, who) : ''}`;
        if (!(who === 's' && !sender)) {
          out.push(
            bwRow(
              tag,
              0,
              u.end as number,
              u.bytes as number,
              u.seconds as number,
              `  ${(0).toFixed(3).padStart(5)} ms  0/${u.packets} (0%)  sender`,
              unit,
            ),
          );
        }
        const got = (u as { received?: { bytes: number; seconds: number } }).received ?? {
          bytes: u.bytes as number,
          seconds: u.seconds as number,
        };
        if (!(who === 's' && sender))
          out.push(
            bwRow(tag, 0, got.seconds, got.bytes, got.seconds, udpTail(u, 'receiver'), unit),
          );
      } else {
        const snd = r.sender as Json;
        const rcv = r.receiver as Json;
        const sender = snd.sender as boolean;
        const tag = `[${id3(snd.socket as number)}]${s.bidir ? role(sender, who) : ''}`;
        if (!(who === 's' && !sender))
          out.push(
            bwRow(
              tag,
              0,
              snd.end as number,
              snd.bytes as number,
              snd.seconds as number,
              senderTail(snd),
              unit,
            ),
          );
        if (!(who === 's' && sender))
          out.push(
            bwRow(
              tag,
              0,
              rcv.end as number,
              rcv.bytes as number,
              rcv.end as number,
              '                  receiver',
              unit,
            ),
          );
      }
    }
    if (s.parallel > 1 && g.sent && g.recv && g.rows.length > 0) {
      const first = g.rows[0];
      const sender = ((first.udp ?? first.sender) as Json).sender as boolean;
      const tag = `[SUM]${s.bidir ? role(sender, who) : ''}`;
      if (udp) {
        const sum = end.sum as Json;
        if (!(who === 's' && !sender)) {
          out.push(
            bwRow(
              tag,
              0,
              g.sent.end as number,
              g.sent.bytes as number,
              g.sent.seconds as number,
              `  ${(0).toFixed(3).padStart(5)} ms  0/${g.sent.packets} (0%)  sender`,
              unit,
            ),
          );
        }
        if (!(who === 's' && sender))
          out.push(
            bwRow(
              tag,
              0,
              g.recv.end as number,
              g.recv.bytes as number,
              g.recv.seconds as number,
              udpTail(sum ?? g.recv, 'receiver'),
              unit,
            ),
          );
      } else {
        if (!(who === 's' && !sender))
          out.push(
            bwRow(
              tag,
              0,
              g.sent.end as number,
              g.sent.bytes as number,
              g.sent.seconds as number,
              senderTail(g.sent),
              unit,
            ),
          );
        if (!(who === 's' && sender))
          out.push(
            bwRow(
              tag,
              0,
              g.recv.end as number,
              g.recv.bytes as number,
              g.recv.seconds as number,
              '                  receiver',
              unit,
            ),
          );
      }
    }
  }
  return out;
}

export function doneLines(serverText?: string): string[] {
  const out: string[] = [];
  if (serverText !== undefined) out.push('', 'Server output:', serverText);
  out.push('', 'iperf Done.');
  return out;
}
