/**
 * `ntp check`: probe one server the way attackers and scanners do (mode 7 monlist in its four
 * variants, mode 6 readvar / readstat / peers, mode 3) and measure what comes back.
 * Probes run in parallel, each from its own socket, so every reply is attributed to the probe
 * that caused it; datagrams that do not parse as an answer to that probe are counted as stray.
 */
import { amplification, type Amplification } from './factor.js';
import {
  buildClientRequest,
  buildControlRequest,
  buildPrivateRequest,
  CTL_OP,
  decodeMonlistItems,
  IMPL,
  MODE7_ERR,
  parseControlReply,
  parsePrivateReply,
  REQ,
  toNtpTimestamp,
  type MonlistEntry,
} from './packet.js';
import { exchange, resolveHost, type Datagram, type Resolved } from './udp.js';
import { fixFor, type ServerKind } from './fixes.js';

export type Verdict = 'vulnerable' | 'exposed' | 'ok' | 'no-reply';

export interface ProbeResult {
  probe: string;
  mode: 3 | 6 | 7;
  description: string;
  amplification: Amplification;
  /** Datagrams from the server on this probe's socket that were not a valid answer to it. */
  stray: number;
  verdict: Verdict;
  detail: string;
  /** mode 7: error code of the reply, items decoded; mode 6: error code. */
  errorCode?: number | null;
  monlist?: { entries: number; sample: MonlistEntry[] };
}

export interface NtpCheckResult {
  host: string;
  address: string;
  port: number;
  layer: 'payload';
  requestSize: number;
  server: ServerKind;
  serverVersion: string | null;
  probes: ProbeResult[];
  vulnerable: boolean;
  verdict: Verdict;
  /** The worst factor (payload layer) among all probes, and which probe. */
  worst: { probe: string; factor: number; frameFactor: number } | null;
  fix: string[];
}

export interface NtpCheckOptions {
  port?: number;
  timeoutMs?: number;
  /** Size of the mode 7 request: 8 (minimal), 48 (nmap, default) or 192 (ntpdc / zmap). */
  requestSize?: number;
  /** Factor above which a mode 6 reply counts as an amplifier. */
  threshold?: number;
}

interface Probe {
  name: string;
  mode: 3 | 6 | 7;
  description: string;
  requests: Buffer[];
  accept: (d: Buffer) => boolean;
  /** Enough replies: stop waiting. */
  complete: (r: Datagram[]) => boolean;
}

function mode7Probe(code: number, impl: number, size: number): Probe {
  const name = `monlist-${code}-impl${impl}`;
  return {
    name,
    mode: 7,
    description: `mode 7 ${code === REQ.monGetlist1 ? 'MON_GETLIST_1 (42)' : 'MON_GETLIST (20)'}, implementation ${impl}, ${size}-byte request`,
    requests: [buildPrivateRequest(impl, code, size)],
    // a reply must be self-consistent: items fit the datagram, error replies carry no items
    accept: (d) => {
      const p = parsePrivateReply(d);
      return (
        !!p &&
        p.response &&
        p.code === code &&
        p.nitems * p.itemsize <= d.length - 8 &&
        (p.err === 0 || p.nitems === 0)
      );
    },
    // ntpd sends M=1 on all but the last datagram
    complete: (r) => r.some((d) => (d.data[0] & 0x40) === 0 && (d.data[0] & 7) === 7),
  };
}

function mode6Probe(name: string, opcode: number, description: string): Probe {
  return {
    name,
    mode: 6,
    description,
    requests: [buildControlRequest(opcode, 1)],
    accept: (d) => {
      const p = parseControlReply(d);
      return !!p && p.response && p.opcode === opcode;
    },
    complete: (r) => r.some((d) => (d.data[1] & 0x20) === 0),
  };
}

export async function ntpCheck(host: string, opts: NtpCheckOptions = {}): Promise<NtpCheckResult> {
  const port = opts.port ?? 123;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const size = opts.requestSize ?? 48;
  const threshold = opts.threshold ?? 2;
  const target = await resolveHost(host);
  const probes: Probe[] = [
    mode7Probe(REQ.monGetlist1, IMPL.xntpd, size),
    mode7Probe(REQ.monGetlist1, IMPL.xntpdOld, size),
    mode7Probe(REQ.monGetlist, IMPL.xntpd, size),
    mode7Probe(REQ.monGetlist, IMPL.xntpdOld, size),
    mode6Probe('readvar', CTL_OP.readvar, 'mode 6 READVAR (ntpq -c rv), 12-byte request'),
    mode6Probe('readstat', CTL_OP.readstat, 'mode 6 READSTAT (association list), 12-byte request'),
    {
      name: 'mode3',
      mode: 3,
      description: 'mode 3 client request, 48 bytes',
      requests: [buildClientRequest(toNtpTimestamp(Date.now() / 1000))],
      accept: (d) => d.length >= 48 && (d[0] & 7) === 4,
      complete: (r) => r.length > 0,
    },
  ];
  const results = await Promise.all(probes.map((p) => runProbe(target, port, p, timeoutMs)));
  const peers = await peersProbe(
    target,
    port,
    timeoutMs,
    results.find((r) => r.probe === 'readstat')!,
  );
  const all = [...results.slice(0, 6), peers, results[6]];
  const readvar = all.find((r) => r.probe === 'readvar')!;
  const serverVersion =
    (readvar as ProbeResult & { text?: string }).text?.match(/version="([^"]*)"/)?.[1] ?? null;
  for (const r of all) classify(r, threshold);
  const server = detectServer(all, serverVersion);
  const vulnerable = all.some((r) => r.verdict === 'vulnerable');
  const exposed = all.some((r) => r.verdict === 'exposed');
  const answered = all.some((r) => r.verdict !== 'no-reply');
  let worst: NtpCheckResult['worst'] = null;
  for (const r of all) {
    if (r.mode === 3 || r.amplification.replyPackets === 0) continue;
    if (!worst || r.amplification.factor > worst.factor)
      worst = {
        probe: r.probe,
        factor: r.amplification.factor,
        frameFactor: r.amplification.frameFactor,
      };
  }
  for (const r of all) delete (r as ProbeResult & { text?: string }).text;
  return {
    host,
    address: target.address,
    port,
    layer: 'payload',
    requestSize: size,
    server,
    serverVersion,
    probes: all,
    vulnerable: vulnerable || exposed,
    verdict: vulnerable ? 'vulnerable' : exposed ? 'exposed' : answered ? 'ok' : 'no-reply',
    worst,
    fix:
      vulnerable || exposed
        ? fixFor(
            server,
            all
              .filter((r) => r.verdict === 'vulnerable' || r.verdict === 'exposed')
              .map((r) => r.mode),
          )
        : [],
  };
}

async function runProbe(
  target: Resolved,
  port: number,
  p: Probe,
  timeoutMs: number,
): Promise<ProbeResult & { text?: string }> {
  const { replies, stray } = await exchange(target, port, p.requests, {
    timeoutMs,
    settleMs: 400,
    graceMs: 100,
    maxReplies: 1000,
    done: (r) => p.complete(r.filter((d) => p.accept(d.data))),
  });
  const good = replies.filter((d) => p.accept(d.data));
  const res: ProbeResult & { text?: string } = {
    probe: p.name,
    mode: p.mode,
    description: p.description,
    amplification: amplification(
      p.requests.map((b) => b.length),
      good.map((d) => d.data.length),
      target.family,
    ),
    stray: stray + replies.length - good.length,
    verdict: 'no-reply',
    detail: '',
  };
  if (p.mode === 7 && good.length) {
    const parsed = good.map((d) => parsePrivateReply(d.data)!);
    res.errorCode = parsed[0].err;
    const entries = parsed.flatMap((x) => decodeMonlistItems(x));
    res.monlist = { entries: entries.length, sample: entries.slice(0, 5) };
  }
  if (p.mode === 6 && good.length) {
    const parsed = good.map((d) => parseControlReply(d.data)!).sort((a, b) => a.offset - b.offset);
    res.errorCode = parsed[0].errorCode;
    res.text = Buffer.concat(parsed.map((x) => x.data)).toString('latin1');
  }
  return res;
}

/** What `ntpq -c peers` costs: READSTAT, then READVAR for each association (at most 16). */
async function peersProbe(
  target: Resolved,
  port: number,
  timeoutMs: number,
  readstat: ProbeResult & { text?: string },
): Promise<ProbeResult> {
  const ids: number[] = [];
  const raw = Buffer.from(readstat.text ?? '', 'latin1');
  for (let o = 0; o + 4 <= raw.length && ids.length < 16; o += 4) ids.push(raw.readUInt16BE(o));
  const requests = [buildControlRequest(CTL_OP.readstat, 1)];
  // reuse the READSTAT measurement, then one READVAR per association
  const sizes: number[] = [];
  let stray = readstat.stray;
  for (const id of ids) {
    const req = buildControlRequest(CTL_OP.readvar, 2);
    req.writeUInt16BE(id, 6);
    requests.push(req);
    const r = await exchange(target, port, [req], {
      timeoutMs,
      settleMs: 200,
      done: (x) => x.some((d) => (d.data[1] & 0x20) === 0),
    });
    for (const d of r.replies) {
      const c = parseControlReply(d.data);
      if (c && c.response && c.opcode === CTL_OP.readvar && c.associd === id)
        sizes.push(d.data.length);
      else stray++;
    }
    stray += r.stray;
    if (r.replies.length === 0) break; // silent server: do not wait once per association
  }
  const a = readstat.amplification;
  const total = amplification(
    requests.map((b) => b.length),
    sizes,
    target.family,
  );
  // add the READSTAT reply bytes measured already
  total.replyPackets += a.replyPackets;
  total.replyBytes += a.replyBytes;
  total.replyFrameBytes += a.replyFrameBytes;
  total.factor = total.requestBytes
    ? Math.round((total.replyBytes / total.requestBytes) * 100) / 100
    : 0;
  total.frameFactor = total.requestFrameBytes
    ? Math.round((total.replyFrameBytes / total.requestFrameBytes) * 100) / 100
    : 0;
  total.packetFactor = Math.round((total.replyPackets / total.requestPackets) * 100) / 100;
  return {
    probe: 'peers',
    mode: 6,
    description: `mode 6 peers (READSTAT + READVAR per association, ${ids.length} associations)`,
    amplification: total,
    stray,
    verdict: 'no-reply',
    detail: '',
    errorCode: readstat.errorCode,
  };
}

function classify(r: ProbeResult, threshold: number): void {
  const a = r.amplification;
  if (a.replyPackets === 0) {
    r.verdict = 'no-reply';
    r.detail = 'no answer';
    return;
  }
  if (r.mode === 7) {
    const err = r.errorCode ?? 0;
    if (err === 0 && a.factor > 1) {
      r.verdict = 'vulnerable';
      r.detail = `monlist answered: ${r.monlist?.entries ?? 0} entries in ${a.replyPackets} datagrams`;
    } else {
      r.verdict = 'ok';
      r.detail = `mode 7 answered with error ${err} (${MODE7_ERR[err] ?? 'unknown'}), no data`;
    }
    return;
  }
  if (r.mode === 6) {
    if (r.errorCode) {
      r.verdict = 'ok';
      r.detail = `error reply ${r.errorCode}`;
      return;
    }
    r.verdict = a.factor > threshold ? 'exposed' : 'ok';
    r.detail =
      a.factor > threshold
        ? `mode 6 answered, ${a.factor}× the request`
        : 'mode 6 answered without amplification';
    return;
  }
  r.verdict = 'ok';
  r.detail =
    a.factor > 1 ? `mode 3 reply larger than request (${a.factor}×)` : 'normal time service';
}

function detectServer(all: ProbeResult[], version: string | null): ServerKind {
  if (version) {
    if (/ntpsec/i.test(version)) return 'ntpsec';
    if (/ntpd/i.test(version)) return 'ntpd';
  }
  if (all.some((r) => r.mode === 7 && r.amplification.replyPackets > 0)) return 'ntpd';
  return 'unknown';
}
