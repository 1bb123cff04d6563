/** Each reply, error or oddity the echo engine matched to a target: counted, then reported. */
import type { EchoOutcome } from '../echo.js';
import { icmpErrorText } from '../icmp-text.js';
import type { PingContext, Run } from './context.js';

const nsToEpoch = (ns: number, base: number) => base + ns / 1e9;

export function onOutcome(p: PingContext, run: Run, o: EchoOutcome): void {
  if (run.done) return;
  const { emit } = p;
  const seqNo = o.kind === 'error' ? o.seq : o.probe.seq;
  const time = nsToEpoch(o.ev.t, p.base);
  const idx = seqIndex(run, seqNo);
  switch (o.kind) {
    case 'reply':
      onReply(p, run, o, idx, time);
      break;
    case 'truncated':
      emit({
        type: 'truncated',
        target: run.r.target,
        from: o.ev.from,
        seq: idx + 1,
        bytes: o.ev.len,
        ttl: o.ev.ttl,
        time,
      });
      break;
    case 'corrupted':
      run.corrupted++;
      emit({
        type: 'corrupted',
        target: run.r.target,
        from: o.ev.from,
        seq: idx + 1,
        bytes: o.ev.len,
        time,
      });
      break;
    case 'late':
      emit({
        type: 'late',
        target: run.r.target,
        from: o.ev.from,
        seq: idx + 1,
        rttUs: Math.round((o.ev.t - o.probe.sent) / 1000),
        time,
      });
      break;
    case 'error':
      onIcmpError(p, run, o, idx, time);
      break;
  }
  p.checkDone(run);
}

/** An echo reply: its RTT in integer µs as ping takes it (whole µs of receive minus send). */
function onReply(
  p: PingContext,
  run: Run,
  o: Extract<EchoOutcome, { kind: 'reply' }>,
  idx: number,
  time: number,
): void {
  const us = Math.trunc(o.ev.t / 1000) - Math.trunc(o.probe.sent / 1000);
  run.stats.add(us);
  if (o.dup) run.dups++;
  else {
    run.received++;
    run.answered.add(idx);
    run.replied.add(idx);
    if (idx >= 0) run.rtts[idx] = us / 1e6;
  }
  if (p.live)
    p.emit({
      type: 'reply',
      target: run.r.target,
      address: run.r.address,
      from: o.ev.from,
      seq: idx + 1,
      bytes: o.ev.len,
      ttl: o.ev.ttl,
      rttUs: us,
      dup: o.dup,
      time,
      timing: p.timing,
    });
}

/** An ICMP error about a probe: it answers that probe unless a reply already did. */
function onIcmpError(
  p: PingContext,
  run: Run,
  o: Extract<EchoOutcome, { kind: 'error' }>,
  idx: number,
  time: number,
): void {
  if (run.answered.has(idx)) return;
  run.errors++;
  run.answered.add(idx);
  p.emit({
    type: 'error',
    target: run.r.target,
    from: o.ev.from,
    seq: idx + 1,
    icmpType: o.ev.type,
    icmpCode: o.ev.code,
    text: icmpErrorText(run.engine.family, o.ev.type, o.ev.code),
    time,
  });
}

/** Maps a 16-bit sequence back to the nearest transmitted index. */
function seqIndex(run: Run, seq16: number): number {
  const last = run.transmitted;
  let idx = last - 1 - (((last & 0xffff) - seq16 + 0x10000) & 0xffff);
  if (idx < 0) idx = seq16 - 1;
  return idx;
}
