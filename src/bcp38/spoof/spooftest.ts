/**
 * `bcp38 spooftest`: like CAIDA's Spoofer, between the operator's own hosts. Sends UDP probes
 * with forged sources (raw socket) plus an unspoofed control to a `bcp38 listen` peer, then asks
 * the peer over TCP which arrived.
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { HostopsError, usageError } from '../../lib/errors.js';
import { inetAton, numericName } from '../../net/resolve.js';
import { parsePrefix } from '../cidr.js';
import { contains } from '../../lib/ip.js';
import { DEFAULT_PORT, encodeProbe, isLabel, type ProbeRecord } from './protocol.js';
import { RawSender } from './raw.js';

export interface SpoofSource {
  label: string;
  address: string;
  kind: 'control' | 'neighbour' | 'customer' | 'private' | 'bogon' | 'routable' | 'custom';
}

export interface SpoofTestOptions {
  port?: number;
  /** Replace the default forged sources. */
  sources?: SpoofSource[];
  /** Addresses of other customers to forge (kind 'customer'). */
  others?: string[];
  /** Probes per source; default 3. */
  count?: number;
  /** Wait after the last probe before asking for results; default 1000 ms. */
  waitMs?: number;
  /** Control-connection timeout; default 5000 ms. */
  timeoutMs?: number;
  /** UDP source port of the probes; default 3839. */
  sourcePort?: number;
}

export interface SpoofProbeResult extends SpoofSource {
  sent: number;
  received: number;
  seenAs: string[];
}

export interface SpoofTestResult {
  target: string;
  port: number;
  /** Our address as used for the control connection (the unspoofed source). */
  localAddress: string;
  /** Our address as the listener saw it (differs behind NAT). */
  observedAddress: string;
  session: string;
  probes: SpoofProbeResult[];
  /** spoofable: some forged source arrived; filtered: only the control arrived; inconclusive: not even the control. */
  verdict: 'spoofable' | 'filtered' | 'inconclusive';
  summary: string;
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;

/** Default forged sources for an IPv4 or IPv6 local address. */
export function defaultSources(local: string, others: string[] = [], target = ''): SpoofSource[] {
  const fam = isIP(local) as 4 | 6;
  const out: SpoofSource[] = [{ label: 'control', address: local, kind: 'control' }];
  if (fam === 4) {
    // an adjacent host address in the same /24 that is neither ours nor the target's
    const o = local.split('.').map(Number);
    const cand = [1, -1, 2, -2, 3, -3].map((d) => o[3] + d).filter((x) => x >= 1 && x <= 254);
    const n = cand.map((x) => [...o.slice(0, 3), x].join('.')).find((a) => a !== target);
    if (n) out.push({ label: 'neighbour', address: n, kind: 'neighbour' });
    others.forEach((a, i) =>
      out.push({
        label: `other-customer${others.length > 1 ? `-${i + 1}` : ''}`,
        address: a,
        kind: 'customer',
      }),
    );
    const me = parsePrefix(`${local}/32`);
    for (const [label, a, net] of [
      ['private-10', '10.255.255.1', '10.0.0.0/8'],
      ['private-172', '172.31.255.1', '172.16.0.0/12'],
      ['private-192', '192.168.255.1', '192.168.0.0/16'],
    ]) {
      if (!contains(parsePrefix(net), me)) out.push({ label, address: a, kind: 'private' });
    }
    out.push({ label: 'shared-cgn', address: '100.64.0.1', kind: 'bogon' });
    out.push({ label: 'test-net-1', address: '192.0.2.1', kind: 'bogon' });
    out.push({ label: 'reserved-240', address: '240.0.0.1', kind: 'bogon' });
    out.push({ label: 'routable', address: '1.1.1.1', kind: 'routable' });
  } else {
    const p = parsePrefix(`${local}/128`);
    const tgt = target ? parsePrefix(`${target}/128`).net : -1n;
    const nb =
      [1n, -1n, 2n, -2n, 3n]
        .map((d) => p.net + d)
        .find((x) => x !== tgt && (x & 0xffffn) !== 0n && x >= 0n) ?? p.net ^ 1n;
    const hex = nb.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');
    out.push({
      label: 'neighbour',
      address: parsePrefix(hex).text.replace(/\/128$/, ''),
      kind: 'neighbour',
    });
    others.forEach((a, i) =>
      out.push({
        label: `other-customer${others.length > 1 ? `-${i + 1}` : ''}`,
        address: a,
        kind: 'customer',
      }),
    );
    out.push({ label: 'ula', address: 'fd00::1', kind: 'private' });
    out.push({ label: 'documentation', address: '2001:db8::1', kind: 'bogon' });
    out.push({ label: 'routable', address: '2606:4700:4700::1111', kind: 'routable' });
  }
  return out;
}

async function control(
  host: string,
  port: number,
  req: object,
  timeoutMs: number,
): Promise<{ body: Record<string, unknown>; local: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new HostopsError(
          'BCP38_CONTROL_TIMEOUT',
          `no answer from the listener ${host}:${port} within ${timeoutMs} ms`,
          { where: `${host}:${port}` },
        ),
      );
    }, timeoutMs);
    s.on('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.length > 4 * 1024 * 1024) {
        s.destroy();
        clearTimeout(timer);
        reject(
          new HostopsError(
            'BCP38_CONTROL_BAD',
            `the listener at ${host}:${port} sent an oversized answer`,
          ),
        );
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new HostopsError(
          'BCP38_CONTROL_UNREACHABLE',
          `cannot reach the listener at ${host}:${port}: ${e.code ?? e.message}`,
          { where: `${host}:${port}` },
        ),
      );
    });
    s.on('end', () => {
      clearTimeout(timer);
      const local = s.localAddress ?? '';
      const line = buf.split('\n')[0];
      try {
        const body = JSON.parse(line);
        if (!body || body.ok !== true) throw new Error(String(body?.error ?? 'not ok'));
        resolve({ body, local: local.startsWith('::ffff:') ? local.slice(7) : local });
      } catch (e) {
        reject(
          new HostopsError(
            'BCP38_CONTROL_BAD',
            `the listener at ${host}:${port} answered garbage: ${(e as Error).message}`,
          ),
        );
      }
    });
  });
}

export async function spoofTest(
  target: string,
  opts: SpoofTestOptions = {},
): Promise<SpoofTestResult> {
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw usageError('BCP38_BAD_OPTION', `port must be 1..65535, got ${port}`);
  const count = opts.count ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw usageError('BCP38_BAD_OPTION', `count must be 1..100, got ${count}`);
  let address = target;
  if (!isIP(target) && numericName(target)) {
    // a mistyped address such as 300.1.1.1 is refused here, never sent to DNS as a name
    address = inetAton(target) ?? '';
    if (!address) throw usageError('BCP38_BAD_TARGET', `'${target}' is not a valid IP address`);
  } else if (!isIP(target)) {
    if (!HOST.test(target))
      throw usageError('BCP38_BAD_TARGET', `'${target}' is not an IP address or host name`);
    try {
      address = (await lookup(target)).address;
    } catch {
      throw usageError('BCP38_BAD_TARGET', `cannot resolve '${target}'`);
    }
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  const family = isIP(address) as 4 | 6;
  const check = (sources: SpoofSource[]) => {
    for (const s of sources) {
      if (!isLabel(s.label))
        throw usageError(
          'BCP38_BAD_SOURCE',
          `label '${s.label}' must be 1-40 of letters, digits, _ . : -`,
        );
      if (isIP(s.address) !== family)
        throw usageError(
          'BCP38_BAD_SOURCE',
          `source ${s.address} (${s.label}) is not an IPv${family} address like the target`,
        );
    }
    if (new Set(sources.map((s) => s.label)).size !== sources.length)
      throw usageError('BCP38_BAD_SOURCE', 'source labels must be unique');
  };
  // the user's own sources and --other addresses are checked before any traffic, so a typo is
  // reported as such even when no listener answers
  if (opts.sources) check(opts.sources);
  for (const a of opts.others ?? [])
    if (isIP(a) !== family)
      throw usageError(
        'BCP38_BAD_SOURCE',
        `--other ${a} is not an IPv${family} address like the target`,
      );
  const hello = await control(address, port, { op: 'hello' }, timeoutMs);
  const local = hello.local;
  const sources = opts.sources ?? defaultSources(local, opts.others ?? [], address);
  check(sources);
  const session = randomBytes(8).toString('hex');
  const raw = new RawSender(family);
  const sport = opts.sourcePort ?? 3839;
  try {
    for (let round = 0; round < count; round++) {
      sources.forEach((s, i) =>
        raw.send(s.address, address, sport, port, encodeProbe(session, i, s.label)),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    raw.close();
  }
  await new Promise((r) => setTimeout(r, opts.waitMs ?? 1000));
  const res = await control(address, port, { op: 'results', session }, timeoutMs);
  const received = Array.isArray(res.body.received) ? (res.body.received as ProbeRecord[]) : [];
  const probes: SpoofProbeResult[] = sources.map((s, i) => {
    const got = received.filter((r) => r && r.id === i && r.label === s.label);
    return {
      ...s,
      sent: count,
      received: got.length,
      seenAs: [...new Set(got.map((r) => String(r.source)))],
    };
  });
  const ctl = probes.find((p) => p.kind === 'control');
  const forged = probes.filter((p) => p.kind !== 'control' && p.received > 0);
  const verdict =
    ctl && ctl.received === 0 ? 'inconclusive' : forged.length ? 'spoofable' : 'filtered';
  const summary =
    verdict === 'inconclusive'
      ? 'not even the unspoofed control probe arrived: UDP to the listener is blocked or lost'
      : verdict === 'spoofable'
        ? `${forged.length} of ${probes.length - 1} forged sources got through: ${forged.map((p) => p.label).join(', ')}`
        : `all ${probes.length - 1} forged sources were filtered; the control arrived`;
  return {
    target: address,
    port,
    localAddress: local,
    observedAddress: String(hello.body.observed ?? ''),
    session,
    probes,
    verdict,
    summary,
  };
}
