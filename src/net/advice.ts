/**
 * Plain-words reading of an mtr report: what a user should conclude from the loss and latency
 * pattern along the path (the classic misreadings are loss or delay at one intermediate hop that
 * later hops do not show: that is the router's own ICMP handling, not the path).
 */
import type { MtrHop, MtrReport } from './mtr.js';

/**
 * A duration for a sentence, unit included, with as many digits as it needs: 12.3 ms, 0.04 ms,
 * 7 µs (a fixed one decimal turned a loopback path's 0.04 ms into "0.0 ms").
 */
export function durationText(s: number): string {
  const v = s * 1000;
  if (v === 0) return '0 ms';
  if (Math.abs(v) >= 1) return v.toFixed(1) + ' ms';
  if (Math.abs(v) >= 0.01) return String(Number(v.toPrecision(2))) + ' ms';
  return String(Number((v * 1000).toPrecision(2))) + ' µs';
}
const ms = durationText;

/** Loss worth a sentence: at least 2 lost probes, or 1 out of a short run. */
function lossy(h: MtrHop): boolean {
  return h.drop >= 2 || (h.drop >= 1 && h.sent <= 10);
}

function name(h: MtrHop): string {
  return h.hosts.length ? h.hosts.join(' / ') : '???';
}

export function advise(r: MtrReport): string[] {
  const out: string[] = [];
  const hops = r.hops;
  if (!hops.length) return ['No hop answered yet.'];
  const last = hops[hops.length - 1];
  const dest = r.reached ? last : undefined;

  const marks = hops.flatMap((h) => h.marks.map((m) => ({ h, m })));
  for (const { h, m } of marks) {
    const what: Record<string, string> = {
      '!H': 'host unreachable',
      '!N': 'network unreachable',
      '!X': 'communication administratively prohibited',
      '!P': 'protocol unreachable',
      '!F': 'fragmentation needed',
      '!S': 'source route failed',
    };
    out.push(
      `Hop ${h.ttl} (${name(h)}) answered "${what[m] ?? m}" (${m}): that router has no usable route to ${r.address} (or a filter rejects it); the problem is at or right after hop ${h.ttl}.`,
    );
  }

  if (!r.reached && !marks.length) {
    const answered = hops.filter((h) => h.received > 0);
    const lastOk = answered[answered.length - 1];
    if (!lastOk)
      out.push(
        `No hop answered: check the local network and firewall, or try another probe type (-u UDP, -T TCP).`,
      );
    else
      out.push(
        `The destination did not answer; the last hop that did is ${lastOk.ttl} (${name(lastOk)}). Packets are dropped or filtered after it, or ${r.address} does not answer ${r.protocol.toUpperCase()} probes (try -T or -u).`,
      );
  }

  // loss at intermediate hops only
  const destLoss = dest ? dest.loss : undefined;
  const rateLimited: MtrHop[] = [];
  let lossStart: MtrHop | undefined;
  for (let i = 0; i < hops.length; i++) {
    const h = hops[i];
    if (h === dest || !h.received || !lossy(h)) continue;
    const later = hops.slice(i + 1).filter((x) => x.sent > 0 && x.received > 0);
    const carried = later.length > 0 && later.every((x) => x.loss >= h.loss * 0.5 && lossy(x));
    if (later.length && !carried) rateLimited.push(h);
    else if (carried && !lossStart) lossStart = h;
  }
  for (const h of rateLimited) {
    out.push(
      `Hop ${h.ttl} (${name(h)}) shows ${h.loss.toFixed(1)}% loss but later hops${dest ? ' and the destination' : ''} do not: that router rate-limits or deprioritises its own ICMP replies. This is not packet loss on the path; ignore it.`,
    );
  }
  if (lossStart) {
    out.push(
      `Loss starts at hop ${lossStart.ttl} (${name(lossStart)}) with ${lossStart.loss.toFixed(1)}% and continues to the end: real loss on the link into hop ${lossStart.ttl} or in that router. Report it to whoever runs it, with this output.`,
    );
  } else if (dest && lossy(dest)) {
    out.push(
      `The destination itself loses ${dest.loss.toFixed(1)}% while the hops before it do not: the host or its own link is overloaded, or it rate-limits replies to ${r.protocol.toUpperCase()} probes.`,
    );
  }

  // latency: a jump that persists is the link; a jump at one hop only is that router's slow replies
  for (let i = 1; i < hops.length; i++) {
    const prev = hops[i - 1],
      h = hops[i];
    if (!prev.received || !h.received) continue;
    const jump = h.avg - prev.avg;
    if (jump < 0.03 || jump < prev.avg) continue;
    const later = hops.slice(i + 1).filter((x) => x.received);
    const persists = later.every((x) => x.avg - prev.avg > jump * 0.5);
    if (persists)
      out.push(
        `Latency rises by ${ms(jump)} at hop ${h.ttl} (${name(h)}) and stays: the link into that hop adds the delay (distance, a slow link or congestion).`,
      );
    else
      out.push(
        `Hop ${h.ttl} (${name(h)}) answers ${ms(jump)} slower than its neighbours but later hops do not: its control plane answers probes slowly; the path is not slower there.`,
      );
  }

  const multi = hops.filter((h) => h.hosts.length > 1);
  for (const h of multi)
    out.push(
      `Hop ${h.ttl} has ${h.hosts.length} responders (${h.hosts.join(', ')}): load-balanced paths (ECMP) or a route change during the run.`,
    );

  if (dest && !lossy(dest) && !out.length) {
    out.push(
      `No loss to the destination over ${dest.sent} probes; average ${ms(dest.avg)}, worst ${ms(dest.worst)}. The path looks healthy.`,
    );
  } else if (dest && !lossy(dest)) {
    out.push(
      `The destination answered ${dest.received} of ${dest.received + dest.drop} probes: end-to-end there is ${destLoss ? `${destLoss.toFixed(1)}%` : 'no'} loss.`,
    );
  }
  return out;
}
