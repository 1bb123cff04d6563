/**
 * Benchmark: `hostops ddos analyze` vs `tshark -q -z conv,udp` on the same multi-million-packet
 * capture (NTP monlist, DNS and memcached reflection mixed with ordinary UDP), same run. Each tool
 * runs the same number of times (--runs, default 3) and both are reported by the median of those
 * runs. The UDP conversation tables must agree (frames exactly, bytes as tshark rounds them) and
 * tshark must exit 0 before a ratio is printed; otherwise the bench exits 1.
 *
 *   node --import tsx bench/ddos-analyze.ts [--packets 3000000] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
  existsSync,
} from 'node:fs';
import path from 'node:path';
import { convKey, parseConvUdp, tsharkSize } from '../test/ddos/lib/tshark.js';
import { agree, disagree, numArg, ratio, verdict } from './bench-util.js';

const arg = numArg;
const PACKETS = arg('--packets', 3_000_000);
const RUNS = arg('--runs', 3);
const SNAP = 128;
const outDir = path.resolve('bench/out');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `ddos-${PACKETS}.pcap`);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 12;
    return (s >>> 0) / 4294967296;
  };
}

/** Writes a µs pcap with `n` packets through one reused 8 MiB buffer. */
function generate(n: number): void {
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(8 << 20);
  let o = 0;
  const flush = () => {
    writeSync(fd, buf, 0, o);
    o = 0;
  };
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(SNAP, 16);
  buf.writeUInt32LE(1, 20);
  o = 24;
  const r = rng(1);
  const T0 = 1764000000;
  const ip = (a: number, b: number, c: number, d: number) =>
    ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  for (let i = 0; i < n; i++) {
    const ts = T0 + i / 100_000; // 100 kpps
    const x = r();
    let src: number,
      dst: number,
      sport: number,
      dport: number,
      pay: number,
      kind = 0;
    if (x < 0.3) {
      // NTP monlist reflection: 2,000 reflectors -> victim A
      src = ip(198, 18, 100 + ((i >> 3) % 8), ((i * 7) % 250) + 1);
      dst = ip(198, 19, 1, 1);
      sport = 123;
      dport = 80;
      pay = 440;
      kind = 1;
    } else if (x < 0.45) {
      // DNS ANY reflection: 1,000 resolvers -> victim B, random ports
      src = ip(198, 18, 120 + ((i >> 2) % 4), ((i * 13) % 250) + 1);
      dst = ip(198, 19, 2, 2);
      sport = 53;
      dport = 1024 + ((i * 31) % 60000);
      pay = 1400;
    } else if (x < 0.5) {
      // memcached: 200 reflectors -> victim C
      src = ip(198, 18, 130, (i % 200) + 1);
      dst = ip(198, 19, 3, 3);
      sport = 11211;
      dport = 443;
      pay = 1400;
    } else if (x < 0.75) {
      // ordinary DNS: 5,000 clients and 4 resolvers, both directions
      const c = Math.floor(r() * 5000),
        q = r() < 0.5;
      const cli = ip(198, 18, 200 + (c >> 8), c & 255),
        res = ip(198, 18, 250, 1 + (c & 3));
      src = q ? cli : res;
      dst = q ? res : cli;
      sport = q ? 20000 + (c % 30000) : 53;
      dport = q ? 53 : 20000 + (c % 30000);
      pay = q ? 40 : 160;
    } else {
      // QUIC/other UDP between 20,000 host pairs
      const c = Math.floor(r() * 20000),
        up = r() < 0.3;
      const a = ip(198, 18, 140 + (c >> 12), (c >> 4) & 255),
        b = ip(198, 18, 160, c & 15);
      src = up ? a : b;
      dst = up ? b : a;
      sport = up ? 40000 + (c & 1023) : 443;
      dport = up ? 443 : 40000 + (c & 1023);
      pay = up ? 80 : 1200;
    }
    const wire = 42 + pay,
      cap = Math.min(SNAP, wire);
    if (o + 16 + cap > buf.length) flush();
    const sec = Math.floor(ts);
    buf.writeUInt32LE(sec, o);
    buf.writeUInt32LE(Math.round((ts - sec) * 1e6) % 1000000, o + 4);
    buf.writeUInt32LE(cap, o + 8);
    buf.writeUInt32LE(wire, o + 12);
    const f = o + 16;
    buf.fill(0, f, f + cap);
    buf[f] = 2;
    buf[f + 5] = 1;
    buf[f + 6] = 2;
    buf[f + 11] = 2;
    buf[f + 12] = 8;
    buf[f + 13] = 0;
    buf[f + 14] = 0x45;
    buf.writeUInt16BE(20 + 8 + pay, f + 16);
    buf[f + 22] = 64;
    buf[f + 23] = 17;
    buf.writeUInt32BE(src, f + 26);
    buf.writeUInt32BE(dst, f + 30);
    buf.writeUInt16BE(sport, f + 34);
    buf.writeUInt16BE(dport, f + 36);
    buf.writeUInt16BE(8 + pay, f + 38);
    if (kind === 1) {
      buf[f + 42] = (i & 7) === 7 ? 0x97 : 0xd7;
      buf[f + 43] = i & 0x7f;
      buf[f + 44] = 3;
      buf[f + 45] = 42;
      buf[f + 47] = 6;
      buf[f + 49] = 72;
    }
    o += 16 + cap;
  }
  flush();
  closeSync(fd);
}

/** CPU seconds used by reaped children so far (cutime + cstime from /proc/self/stat). */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / 100; // fields 16 and 17, clock ticks of 1/100 s
}

interface Timed {
  ms: number;
  cpu: number;
  stdout: string;
}

/** Wall and CPU time of a child; CPU time is the fairer figure when other work shares the machine. */
function timed(argv: string[], ok: number[] = [0]): Timed {
  const c0 = childCpu();
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status === null || !ok.includes(r.status)) {
    disagree(
      `${argv.slice(0, 3).join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`,
    );
    verdict();
    process.exit(1);
  }
  return { ms, cpu: childCpu() - c0, stdout: r.stdout };
}

const mid = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** n runs; wall and CPU are each the median over the runs; every run's output must be the same. */
function median(n: number, argv: string[], ok: number[]): Timed {
  const rs = Array.from({ length: n }, () => timed(argv, ok));
  const outs = new Set(rs.map((r) => r.stdout));
  if (outs.size !== 1) disagree(`${argv[0]} ${argv[1]}: the ${n} runs printed different output`);
  return { ms: mid(rs.map((r) => r.ms)), cpu: mid(rs.map((r) => r.cpu)), stdout: rs[0].stdout };
}

if (!existsSync(file)) {
  const t = Date.now();
  generate(PACKETS);
  console.log(
    `generated ${file}: ${PACKETS} packets, ${(statSync(file).size / 1e6).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
} else console.log(`reusing ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB)`);

if (!existsSync('dist/cli/main.js')) throw new Error('build first: npx tsc -p tsconfig.json');
// warm the page cache so neither run pays for the disk
timed(['cat', file]);
// ours exits 1 when it reports a finding (an attack), which this capture holds
const ours = median(
  RUNS,
  [process.execPath, 'bin/hostops.js', 'ddos', 'analyze', file, '--json', '--conversations'],
  [0, 1],
);
const oursPlain = median(
  RUNS,
  [process.execPath, 'bin/hostops.js', 'ddos', 'analyze', file, '--json'],
  [0, 1],
);
const tsRun = median(RUNS, ['tshark', '-q', '-z', 'conv,udp', '-r', file], [0]);
const ts = parseConvUdp(tsRun.stdout);
const tsharkMs = tsRun.ms,
  tsharkCpu = tsRun.cpu;

const rep = JSON.parse(ours.stdout);
let mismatches = 0;
for (const c of rep.udpConversations) {
  const t = ts.get(convKey(c.addressA, c.portA, c.addressB, c.portB));
  if (
    !t ||
    t.framesAB !== c.framesAtoB ||
    t.framesBA !== c.framesBtoA ||
    t.bytesAB !== tsharkSize(c.bytesAtoB) ||
    t.bytesBA !== tsharkSize(c.bytesBtoA)
  ) {
    if (mismatches++ < 5) console.log('mismatch', JSON.stringify(c), JSON.stringify(t));
  }
}
const tsFrames = [...ts.values()].reduce((s, c) => s + c.framesAB + c.framesBA, 0);
console.log(
  `packets ${rep.packets}, udp conversations: ours ${rep.conversations.count}, tshark ${ts.size}; frames: ours ${rep.conversations.frames}, tshark ${tsFrames}; per-conversation mismatches: ${mismatches}`,
);
agree('packets read = packets written', rep.packets, PACKETS);
agree('udp conversations (ours vs tshark)', rep.conversations.count, ts.size);
agree(
  'udp conversations listed by ours = counted by ours',
  rep.udpConversations.length,
  rep.conversations.count,
);
agree('udp frames (ours vs tshark)', rep.conversations.frames, tsFrames);
agree('conversations whose frames or bytes differ from tshark', mismatches, 0);
agree(
  'report-only run: same packets and conversations',
  [JSON.parse(oursPlain.stdout).packets, JSON.parse(oursPlain.stdout).conversations.count],
  [rep.packets, rep.conversations.count],
);
for (const v of rep.victims) {
  console.log(
    `  victim ${v.address}: ${v.vectors.map((x: { protocol: string }) => x.protocol).join(',')} ${v.reflectors} reflectors, ${v.packets} pkts, peak ${v.peakPps} pps, monlist ${v.monlistPackets}`,
  );
}
const f = (ms: number, cpu: number) => `${(ms / 1000).toFixed(2)} s wall, ${cpu.toFixed(2)} s cpu`;
console.log(
  `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).cpus().length} cpus`,
);
console.log(
  `hostops ddos analyze --json --conversations: ${f(ours.ms, ours.cpu)} (median of ${RUNS}; ${(rep.packets / ours.ms / 1000).toFixed(2)} Mpkt/s)`,
);
console.log(
  `hostops ddos analyze --json:                 ${f(oursPlain.ms, oursPlain.cpu)} (median of ${RUNS})`,
);
console.log(
  `tshark -q -z conv,udp:                       ${f(tsharkMs, tsharkCpu)} (median of ${RUNS})`,
);
// like for like: tshark's conversation table against ours with the conversation table
ratio(
  () =>
    `ratio tshark / hostops --conversations (median of ${RUNS} each): wall ${(tsharkMs / ours.ms).toFixed(1)}x, cpu ${(tsharkCpu / ours.cpu).toFixed(1)}x`,
);
verdict();
