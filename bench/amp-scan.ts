/**
 * Benchmark: `hostops amp scan` against a namespace full of responders (198.19.0.0/16 routed
 * `local` to one namespace; every address answers every protocol with one datagram).
 *   A. one protocol (DNS) over a /16 = 65,536 probes: ours (native engine), ours (dgram engine,
 *      plain Node sockets) and zmap 2.1.1 (`-M udp`, raw-socket sender, pcap receiver) at the
 *      same rates; probes/s during the send phase and completeness (responders found / 65,536).
 *   B. all 12 probes over a /20 = 49,152 probes: native vs dgram engines.
 * Run: node --import tsx bench/amp-scan.ts   (root; zmap from Debian: scripts/setup.d/ntp.sh)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Topology } from '../test/lib/netns.js';
import { ampTopology, startResponder, cliIn } from '../test/amp/topo.js';
import { rulesFor } from '../test/amp/fixtures/replies.js';
import { PROTOCOLS } from '../src/amp/protocols.js';

const RANGE = '198.19.0.0/16';
const RANGE_B = '198.19.0.0/20';
const BASE = 31;
const SRC = `198.18.${BASE}.1`;
const N_A = 65536;
const ALL = PROTOCOLS.map((p) => p.name);
const RATES = [50_000, 100_000, 200_000, 1_000_000];

interface Row { tool: string; rate: number; probes: number; pps: number; found: number; expected: number }

function ours(ns: string, engine: string, target: string, protocols: string, rate: number, expected: number): Row {
  const r = cliIn(ns, ['amp', 'scan', target, '-P', protocols, '--rate', String(rate), '--wait', '1000', '--engine', engine, '--json', '--threshold', '0']);
  const j = JSON.parse(r.stdout);
  if (j.kernelDrops) process.stderr.write(`hostops ${engine}: kernel dropped ${j.kernelDrops} replies at rate ${rate}\n`);
  const found = j.findings.filter((f: { replyPackets: number }) => f.replyPackets > 0).length;
  return { tool: `hostops ${engine}`, rate, probes: j.probes, pps: j.probesPerSecond, found, expected };
}

function zmap(ns: string, ifname: string, mac: string, target: string, rate: number, dir: string): Row {
  const dns = PROTOCOLS.find((p) => p.name === 'dns')!.build({ tx16: 0x1234, tx32: 1 });
  writeFileSync(path.join(dir, 'bl'), '\n');
  writeFileSync(path.join(dir, 'wl'), `${target}\n`);
  const out = path.join(dir, 'out');
  const meta = path.join(dir, 'meta.json');
  let stderr = '';
  try {
    const r = execFileSync('ip', ['netns', 'exec', ns, 'zmap', '-M', 'udp', '-p', '53', `--probe-args=hex:${dns.toString('hex')}`,
      '-i', ifname, '-S', SRC, '-G', mac, '-r', String(rate), '-b', path.join(dir, 'bl'), '-w', path.join(dir, 'wl'),
      '-c', '1', '-o', out, '-f', 'saddr', '-m', meta, '-q', '--disable-syslog'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void r;
  } catch (e) { stderr = (e as { stderr: string }).stderr; throw new Error(`zmap failed: ${stderr}`); }
  const found = new Set(readFileSync(out, 'utf8').split('\n').filter((l) => /^\d/.test(l))).size;
  // zmap's metadata has 1-second timestamps, so its send rate is timed here: a run with no
  // cooldown, minus the start-up cost of a one-address run
  const m = JSON.parse(readFileSync(meta, 'utf8'));
  const timed = (wl: string) => {
    writeFileSync(path.join(dir, 'wl2'), `${wl}\n`);
    const t0 = process.hrtime.bigint();
    execFileSync('ip', ['netns', 'exec', ns, 'zmap', '-M', 'udp', '-p', '53', `--probe-args=hex:${dns.toString('hex')}`,
      '-i', ifname, '-S', SRC, '-G', mac, '-r', String(rate), '-b', path.join(dir, 'bl'), '-w', path.join(dir, 'wl2'),
      '-c', '0', '-o', '/dev/null', '-q', '--disable-syslog'], { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const pps = Math.round(Number(m.total_sent) / Math.max(1e-3, timed(target) - timed('198.19.0.1/32')));
  if (m.pcap_drop) process.stderr.write(`zmap pcap_drop ${m.pcap_drop} at rate ${rate}\n`);
  return { tool: 'zmap 2.1.1', rate, probes: Number(m.total_sent), pps, found: Math.max(found, Number(m.success_unique) || 0), expected: N_A };
}

async function main(): Promise<void> {
  try { execFileSync('zmap', ['--version'], { stdio: 'ignore' }); } catch { throw new Error('zmap not installed: apt-get install zmap (scripts/setup.d/ntp.sh)'); }
  const t = new Topology('ab');
  const dir = mkdtempSync(path.join(tmpdir(), 'hoa-bench-'));
  try {
    const { scanner, responder } = ampTopology(t, BASE, RANGE);
    const ifname = t.exec(scanner, ['ip', '-o', 'link']).split('\n').find((l) => l.includes('@'))!.split(':')[1].trim().split('@')[0];
    const mac = t.exec(responder, ['ip', '-o', 'link']).split('\n').find((l) => l.includes('@'))!.match(/link\/ether ([0-9a-f:]+)/)![1];
    // one datagram per probe (a 6-entry monlist fits one datagram) so found = replies
    const resp = await startResponder(t, responder, rulesFor('198.19.0.0', '198.19.255.255', ALL, 6));
    // resolve ARP both ways before any timed run (zmap's raw frames do not trigger it)
    t.exec(scanner, ['ping', '-c', '1', '-W', '1', `198.18.${BASE}.2`]);
    const rows: Row[] = [];
    console.log(`A. DNS probe over ${RANGE} (${N_A} probes); responder answers every address`);
    for (const rate of RATES) {
      rows.push(ours(scanner, 'native', RANGE, 'dns', rate, N_A), ours(scanner, 'dgram', RANGE, 'dns', rate, N_A), zmap(scanner, ifname, mac, RANGE, rate, dir));
    }
    print(rows);
    const rowsB: Row[] = [];
    console.log(`\nB. all 12 probes over ${RANGE_B} (49,152 probes)`);
    for (const rate of RATES) {
      rowsB.push(ours(scanner, 'native', RANGE_B, 'all', rate, 49152), ours(scanner, 'dgram', RANGE_B, 'all', rate, 49152));
    }
    print(rowsB);
    const best = (rs: Row[], tool: string) => Math.max(0, ...rs.filter((r) => r.tool === tool && r.found === r.expected).map((r) => r.pps));
    const show = (n: number) => (n ? `${n}/s` : 'never complete');
    console.log('\nA, responders found per rate limit (ours native : zmap : ours dgram):');
    for (const rate of RATES) {
      const f = (tool: string) => rows.find((r) => r.tool === tool && r.rate === rate)!.found;
      const n = f('hostops native'), z = f('zmap 2.1.1'), d = f('hostops dgram');
      console.log(`  ${String(rate).padStart(8)}/s: ${n} : ${z} : ${d}   found ratio native/zmap ${(n / Math.max(1, z)).toFixed(2)}, native/dgram ${(n / Math.max(1, d)).toFixed(2)}`);
    }
    console.log(`highest achieved rate with every responder found (A): hostops native ${show(best(rows, 'hostops native'))}, zmap ${show(best(rows, 'zmap 2.1.1'))}, hostops dgram ${show(best(rows, 'hostops dgram'))}`);
    const nb = best(rowsB, 'hostops native'), db = best(rowsB, 'hostops dgram');
    console.log(`highest achieved rate with every responder found (B, 12 protocols): native ${show(nb)}, dgram ${show(db)}; goal >= 50000/s: ${nb >= 50000 ? 'met' : 'NOT met'}`);
    console.log('responder counters:', JSON.stringify(await resp.stop()));
  } finally {
    t.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows: Row[]): void {
  console.log(['tool'.padEnd(16), 'rate limit'.padStart(10), 'probes'.padStart(8), 'probes/s'.padStart(10), 'found'.padStart(8), 'complete'.padStart(9)].join(' '));
  for (const r of rows) {
    console.log([r.tool.padEnd(16), String(r.rate).padStart(10), String(r.probes).padStart(8), String(r.pps).padStart(10), String(r.found).padStart(8), `${((r.found / r.expected) * 100).toFixed(1)}%`.padStart(9)].join(' '));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
