/**
 * Benchmark: `hostops amp scan` against a namespace full of responders (198.19.0.0/16 routed
 * `local` to one namespace; every address answers every protocol, with one datagram except SSDP,
 * whose answer is three datagrams as from a host with three services: test/amp/fixtures/replies.ts).
 *   A. one protocol (DNS) over a /16 = 65,536 probes: ours (native engine), ours (dgram engine,
 *      plain Node sockets) and zmap 2.1.1 (`-M udp`, raw-socket sender, pcap receiver) at the
 *      same rates; probes/s and completeness (responders found / 65,536).
 *   B. all 12 probes over a /20 = 49,152 probes: native vs dgram engines.
 * Probes/s is measured the same way for every tool: wall-clock of the scan itself (the run whose
 * replies are counted) minus wall-clock of the same command on one address (start-up and the 1 s
 * reply wait), i.e. probes / (wall(scan) - wall(one address)). Before any ratio: every run exited
 * as expected and sent every probe, the responder's counters match, and our engines found every
 * responder at every rate limit (each paces itself to what it can receive); zmap's completeness is
 * a result (its libpcap receiver drops under load), not a check.
 * Run: node --import tsx bench/amp-scan.ts   (root; zmap from Debian: scripts/setup.d/ntp.sh)
 *   AMP_BENCH_RATES=50000 for a single rate; AMP_BENCH_B=0 skips part B.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Topology } from '../test/lib/netns.js';
import { ampTopology, startResponder, cliIn } from '../test/amp/topo.js';
import { rulesFor } from '../test/amp/fixtures/replies.js';
import { PROTOCOLS } from '../src/amp/protocols.js';
import { agree, exitedOk, ratio, verdict } from './bench-util.js';

const RANGE = '198.19.0.0/16';
const RANGE_B = '198.19.0.0/20';
const BASE = 31;
const SRC = `198.18.${BASE}.1`;
const N_A = 65536;
const ALL = PROTOCOLS.map((p) => p.name);
const RATES = (process.env.AMP_BENCH_RATES ?? '50000,100000,200000,1000000').split(',').map(Number);
const ONE = '198.19.0.1/32';

interface Row {
  tool: string;
  /** Protocols probed at each address. */
  protocols: string[];
  rate: number;
  probes: number;
  pps: number;
  selfPps?: number;
  found: number;
  expected: number;
}

/** Wall-clock seconds of f() and its result. */
function wall<T>(f: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

function ours(
  ns: string,
  engine: string,
  target: string,
  protocols: string,
  rate: number,
  expected: number,
): Row {
  const argv = (t: string) => [
    'amp',
    'scan',
    t,
    '-P',
    protocols,
    '--rate',
    String(rate),
    '--wait',
    '1000',
    '--engine',
    engine,
    '--json',
    '--threshold',
    '0',
  ];
  const [r, w] = wall(() => cliIn(ns, argv(target)));
  const [r1, w1] = wall(() => cliIn(ns, argv(ONE)));
  const tool = `hostops ${engine}`;
  const names = protocols === 'all' ? ALL : protocols.split(',');
  // 1 = findings reported (every responder amplifies); anything else is a failed scan
  if (
    !exitedOk(`${tool} at ${rate}/s`, r.status, [0, 1], r.stderr) ||
    !exitedOk(`${tool} on one address`, r1.status, [0, 1], r1.stderr)
  ) {
    return { tool, protocols: names, rate, probes: 0, pps: 0, found: 0, expected };
  }
  const j = JSON.parse(r.stdout);
  if (j.kernelDrops)
    process.stderr.write(
      `hostops ${engine}: kernel dropped ${j.kernelDrops} replies at rate ${rate}\n`,
    );
  const found = j.findings.filter((f: { replyPackets: number }) => f.replyPackets > 0).length;
  return {
    tool,
    protocols: names,
    rate,
    probes: j.probes,
    pps: Math.round(j.probes / Math.max(1e-3, w - w1)),
    selfPps: j.probesPerSecond,
    found,
    expected,
  };
}

function zmap(
  ns: string,
  ifname: string,
  mac: string,
  target: string,
  rate: number,
  dir: string,
): Row {
  const dns = PROTOCOLS.find((p) => p.name === 'dns')!.build({ tx16: 0x1234, tx32: 1 });
  writeFileSync(path.join(dir, 'bl'), '\n');
  const out = path.join(dir, 'out');
  const meta = path.join(dir, 'meta.json');
  // the same flags for the scan and the one-address run; -c 1: one second of cooldown, like our --wait 1000
  const run = (wl: string) => {
    writeFileSync(path.join(dir, 'wl'), `${wl}\n`);
    try {
      execFileSync(
        'ip',
        [
          'netns',
          'exec',
          ns,
          'zmap',
          '-M',
          'udp',
          '-p',
          '53',
          `--probe-args=hex:${dns.toString('hex')}`,
          '-i',
          ifname,
          '-S',
          SRC,
          '-G',
          mac,
          '-r',
          String(rate),
          '-b',
          path.join(dir, 'bl'),
          '-w',
          path.join(dir, 'wl'),
          '-c',
          '1',
          '-o',
          out,
          '-f',
          'saddr',
          '-m',
          meta,
          '-q',
          '--disable-syslog',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return true;
    } catch (e) {
      return exitedOk(
        `zmap on ${wl} at ${rate}/s`,
        (e as { status: number | null }).status,
        [0],
        (e as { stderr: string }).stderr,
      );
    }
  };
  const [ok1, w1] = wall(() => run(ONE));
  const [ok, w] = wall(() => run(target));
  if (!ok || !ok1)
    return {
      tool: 'zmap 2.1.1',
      protocols: ['dns'],
      rate,
      probes: 0,
      pps: 0,
      found: 0,
      expected: N_A,
    };
  const found = new Set(
    readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => /^\d/.test(l)),
  ).size;
  const m = JSON.parse(readFileSync(meta, 'utf8'));
  if (m.pcap_drop) process.stderr.write(`zmap pcap_drop ${m.pcap_drop} at rate ${rate}\n`);
  return {
    tool: 'zmap 2.1.1',
    protocols: ['dns'],
    rate,
    probes: Number(m.total_sent),
    pps: Math.round(Number(m.total_sent) / Math.max(1e-3, w - w1)),
    found,
    expected: N_A,
  };
}

async function main(): Promise<void> {
  try {
    execFileSync('zmap', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('zmap not installed: apt-get install zmap (scripts/setup.d/ntp.sh)');
  }
  const t = new Topology('ab');
  const dir = mkdtempSync(path.join(tmpdir(), 'hoa-bench-'));
  try {
    const { scanner, responder } = ampTopology(t, BASE, RANGE);
    const ifname = t
      .exec(scanner, ['ip', '-o', 'link'])
      .split('\n')
      .find((l) => l.includes('@'))!
      .split(':')[1]
      .trim()
      .split('@')[0];
    const mac = t
      .exec(responder, ['ip', '-o', 'link'])
      .split('\n')
      .find((l) => l.includes('@'))!
      .match(/link\/ether ([0-9a-f:]+)/)![1];
    // a 6-entry monlist fits one datagram; SSDP answers with three
    const rules = rulesFor('198.19.0.0', '198.19.255.255', ALL, 6);
    const resp = await startResponder(t, responder, rules);
    // datagrams the responder is told to send for one probe of each protocol
    const perProbe = new Map(ALL.map((p, i) => [p, rules[i].replies.length]));
    // resolve ARP both ways before any timed run (zmap's raw frames do not trigger it)
    t.exec(scanner, ['ping', '-c', '1', '-W', '1', `198.18.${BASE}.2`]);
    const rows: Row[] = [];
    console.log(`A. DNS probe over ${RANGE} (${N_A} probes); responder answers every address`);
    for (const rate of RATES) {
      rows.push(
        ours(scanner, 'native', RANGE, 'dns', rate, N_A),
        ours(scanner, 'dgram', RANGE, 'dns', rate, N_A),
        zmap(scanner, ifname, mac, RANGE, rate, dir),
      );
    }
    print(rows);
    const rowsB: Row[] = [];
    console.log(`\nB. all 12 probes over ${RANGE_B} (49,152 probes)`);
    if (process.env.AMP_BENCH_B !== '0') {
      for (const rate of RATES) {
        rowsB.push(
          ours(scanner, 'native', RANGE_B, 'all', rate, 49152),
          ours(scanner, 'dgram', RANGE_B, 'all', rate, 49152),
        );
      }
    }
    print(rowsB);
    // the same work: every tool says it sent every probe, the responder received exactly what all
    // runs sent (one-address runs included: one probe per protocol), and it sent, for each probe,
    // the datagrams its rule holds (3 for SSDP, 1 otherwise); how many of those replies each scanner
    // caught is the completeness column, a result rather than a check
    const all = [...rows, ...rowsB];
    for (const r of all) agree(`${r.tool} at ${r.rate}/s: probes sent`, r.probes, r.expected);
    for (const r of all.filter((x) => x.tool.startsWith('hostops')))
      agree(`${r.tool} at ${r.rate}/s: responders found`, r.found, r.expected);
    const counters = await resp.stop();
    // each run probes every address once per protocol; +1: the one-address run
    const addrs = (r: Row) => r.probes / r.protocols.length + 1;
    const probed = all.reduce((a, r) => a + addrs(r) * r.protocols.length, 0);
    const answered = all.reduce(
      (a, r) => a + addrs(r) * r.protocols.reduce((b, p) => b + perProbe.get(p)!, 0),
      0,
    );
    agree('probes the responder received = probes the scanners sent', counters.received, probed);
    agree(
      `datagrams the responder sent = probes x datagrams per probe (${[...perProbe].map(([p, n]) => `${p} ${n}`).join(', ')})`,
      counters.sent,
      answered,
    );
    agree(
      'responder: no unmatched probe, no send error',
      [counters.unmatched, counters.sendErrors],
      [0, 0],
    );
    const best = (rs: Row[], tool: string) =>
      Math.max(0, ...rs.filter((r) => r.tool === tool && r.found === r.expected).map((r) => r.pps));
    const show = (n: number) => (n ? `${n}/s` : 'never complete');
    console.log('\nA, responders found per rate limit (ours native : zmap : ours dgram):');
    for (const rate of RATES) {
      const f = (tool: string) => rows.find((r) => r.tool === tool && r.rate === rate)!.found;
      const n = f('hostops native'),
        z = f('zmap 2.1.1'),
        d = f('hostops dgram');
      console.log(
        `  ${String(rate).padStart(8)}/s: ${n} : ${z} : ${d}   found ratio native/zmap ${(n / Math.max(1, z)).toFixed(2)}, native/dgram ${(n / Math.max(1, d)).toFixed(2)}`,
      );
    }
    const pps = (tool: string, rate: number) =>
      rows.find((r) => r.tool === tool && r.rate === rate)!.pps;
    ratio(
      () =>
        'A, wall-clock probes/s ratio native/zmap per rate limit: ' +
        RATES.map(
          (rate) =>
            `${rate}/s ${(pps('hostops native', rate) / Math.max(1, pps('zmap 2.1.1', rate))).toFixed(2)}`,
        ).join(', '),
    );
    console.log(
      `highest achieved rate with every responder found (A): hostops native ${show(best(rows, 'hostops native'))}, zmap ${show(best(rows, 'zmap 2.1.1'))}, hostops dgram ${show(best(rows, 'hostops dgram'))}`,
    );
    const nb = best(rowsB, 'hostops native'),
      db = best(rowsB, 'hostops dgram');
    if (rowsB.length)
      console.log(
        `highest achieved rate with every responder found (B, 12 protocols): native ${show(nb)}, dgram ${show(db)}; goal >= 50000/s: ${nb >= 50000 ? 'met' : 'NOT met'}`,
      );
    console.log('responder counters:', JSON.stringify(counters));
    verdict();
  } finally {
    t.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows: Row[]): void {
  console.log(
    [
      'tool'.padEnd(16),
      'rate limit'.padStart(10),
      'probes'.padStart(8),
      'probes/s'.padStart(10),
      'found'.padStart(8),
      'complete'.padStart(9),
      '  (self-reported probes/s)',
    ].join(' '),
  );
  for (const r of rows) {
    console.log(
      [
        r.tool.padEnd(16),
        String(r.rate).padStart(10),
        String(r.probes).padStart(8),
        String(r.pps).padStart(10),
        String(r.found).padStart(8),
        `${((r.found / r.expected) * 100).toFixed(1)}%`.padStart(9),
        r.selfPps === undefined ? '' : `  (${r.selfPps})`,
      ].join(' '),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
