/**
 * `hostops ping` with several targets or any of fping's own options (-g -f -a -u -C -p -s):
 * fping 5.1's output and exit codes. Without -c/-C/-w each target is tried up to 4 times and
 * reported alive or unreachable; with -c/-C each gets that many probes and fping's per-probe
 * lines and summaries.
 */
import type { SocketBind } from '../net/bind.js';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { envError, usageError } from '../lib/errors.js';
import { runPing, type PingEvent } from '../net/ping.js';
import { resolveTarget, type Resolved } from '../net/resolve.js';
import { generateTargets, parseTargetFile } from '../net/targets.js';
import { fpingLine, fpingSummary } from '../net/format/ping.js';
import { fpingStats, fpingTimedOut, fpingVcount } from '../net/format/fping.js';
import type { Family } from '../net/probe-socket.js';
import type { PingFlags } from './ping.js';

/** fping's default mode: 1 try + 3 retries (-r 3), 500 ms apart, then this long for the last. */
const TRIES = 4;
const RETRY_MS = 500;
const LAST_WAIT_MS = 1700;

/** -g and -f turn their arguments into the target list. */
export function expandTargets(targets: string[], f: PingFlags): string[] {
  if (f.generate && f.file !== undefined)
    throw usageError(
      'PING_BAD_OPTION',
      'only one of -g and -f',
      'fping takes one source of targets',
    );
  if (f.generate) return generateTargets(targets);
  if (f.file === undefined) return targets;
  if (targets.length)
    throw usageError(
      'PING_BAD_OPTION',
      `-f ${f.file} and targets on the command line (${targets[0]}) together`,
      'put them all in the file',
    );
  let text: string;
  try {
    text = readFileSync(f.file === '-' ? 0 : f.file, 'utf8');
  } catch (e) {
    throw envError(
      'PING_FILE',
      `cannot read targets from ${f.file === '-' ? 'stdin' : f.file}: ${(e as Error).message}`,
    );
  }
  return parseTargetFile(text);
}

export function isFpingMode(targets: string[], f: PingFlags): boolean {
  if (f.json) return false; // --json keeps its own summaries, whatever named the targets
  return (
    targets.length > 1 ||
    !!(
      f.generate ||
      f.file !== undefined ||
      f.alive ||
      f.unreach ||
      f.vcount !== undefined ||
      f.period !== undefined ||
      f.stats
    )
  );
}

export async function fpingCommand(
  targets: string[],
  f: PingFlags,
  o: { family?: Family; size?: number; bind?: SocketBind },
): Promise<number> {
  if (f.alive && f.unreach)
    throw usageError('PING_BAD_OPTION', 'specify only one of -a and -u', 'as fping');
  if (f.vcount !== undefined && f.count !== undefined)
    throw usageError('PING_BAD_OPTION', 'only one of -c and -C');
  if (f.period !== undefined && f.interval !== undefined)
    throw usageError('PING_BAD_OPTION', 'only one of -p (ms) and -i (s)');
  const vcount = f.vcount;
  const count = vcount ?? f.count;
  const periodMs = f.period ?? (f.interval! * 1000 || undefined);
  const { timeout: timeoutS, deadline: deadlineS, ttl, tos } = f;
  const counting = count !== undefined || deadlineS !== undefined;
  const t0 = performance.now();

  // fping reports a name it cannot resolve on stderr (not with -q), probes the rest and exits 2
  const resolved: Resolved[] = [];
  let unknown = 0;
  for (const t of targets) {
    try {
      resolved.push(await resolveTarget(t, o.family));
    } catch (e) {
      unknown++;
      // fping: "name: reason" (our resolver's message may already start with the name)
      const msg = (e as Error).message;
      if (!f.quiet)
        process.stderr.write(`${t}: ${msg.startsWith(`${t}: `) ? msg.slice(t.length + 2) : msg}\n`);
    }
  }
  if (!resolved.length) return unknown ? 2 : 1; // fping -g with the end before the start: exit 1, no output

  const out = (s: string) => process.stdout.write(s + '\n');
  const err = (s: string) => process.stderr.write(s + '\n');
  const width = counting ? Math.max(...resolved.map((r) => r.target.length)) : 0;
  const st = new Map<string, { sum: number; n: number; sent: number }>();
  const onEvent = (e: PingEvent) => {
    if (!counting) {
      if (e.type === 'reply' && !e.dup && !f.quiet && !f.unreach)
        out(f.alive ? e.target : `${e.target} is alive`);
      return;
    }
    const s = st.get(e.target) ?? { sum: 0, n: 0, sent: 0 };
    st.set(e.target, s);
    if (e.type === 'reply' && !e.dup) {
      s.sum += e.rttUs;
      s.n++;
      s.sent = e.seq;
    }
    if (f.quiet) return;
    if (e.type === 'noanswer') out(fpingTimedOut(e.target, width, e.seq, s));
    else if (e.type === 'error' || e.type === 'senderror')
      err(
        e.type === 'error'
          ? fpingLine(e, width, s)!
          : `${e.target}: error while sending ping: ${e.message}`,
      );
    else {
      const l = fpingLine(e, width, s);
      if (l) out(l);
    }
  };

  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    const interval = periodMs ?? (counting ? 1000 : RETRY_MS);
    const res = await runPing(resolved, {
      count: counting ? count : TRIES,
      intervalMs: interval,
      // fping -c/-C: a probe times out after the period, at most 2 s (-t in fping; -W here)
      timeoutMs:
        timeoutS !== undefined
          ? timeoutS * 1000
          : counting
            ? Math.min(interval, 2000)
            : LAST_WAIT_MS,
      deadlineMs: deadlineS !== undefined ? deadlineS * 1000 : undefined,
      size: o.size ?? 56,
      ttl,
      tos,
      family: o.family,
      signal: ac.signal,
      mode: (f.mode ?? 'auto') as 'auto',
      txTimestamps: f.sendTime ? f.sendTime === 'kernel' : resolved.length <= 64,
      untilReply: !counting,
      lastNoAnswer: counting,
      onEvent,
      bind: o.bind,
    });
    if (counting) {
      const lines = res.map((s) =>
        vcount !== undefined ? fpingVcount(s, width) : fpingSummary(s, width),
      );
      // fping: a blank line after the per-probe lines, none with -q (there are none)
      process.stderr.write((f.quiet ? '' : '\n') + lines.join('\n') + '\n');
    } else if (!f.quiet && !f.alive) {
      for (const s of res)
        if (!s.received) out(f.unreach ? s.target : `${s.target} is unreachable`);
    }
    if (f.stats)
      process.stderr.write(
        fpingStats({
          targets: resolved.length,
          unknown,
          summaries: res,
          elapsedMs: performance.now() - t0,
        }),
      );
    if (unknown) return 2;
    return res.some((s) => !s.received) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
