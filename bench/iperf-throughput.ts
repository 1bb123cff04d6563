/**
 * Throughput benchmark on loopback: our client -> our server against iperf3 -> iperf3, run
 * paired and alternating in the same minute (other work shares the CPUs, so medians of pairs
 * are what is comparable). Scenarios: one TCP stream, -P 2, and UDP at 1 and 2 Gbit/s.
 * UDP prints the loss and jitter each receiving server measured, side by side: iperf3 -> iperf3,
 * ours -> ours, and iperf3 -> ours (same sender, so only the receivers differ).
 * Run: node --import tsx bench/iperf-throughput.ts [rounds] [seconds] [all|tcp|udp]
 * (HOSTOPS_IPERF_UDP_RX=js in the environment: our servers use the JS UDP receive path.)
 * Every run must report the streams asked for and bytes received; otherwise no ratio, exit 1.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { disagree, ratio, verdict } from './bench-util.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.argv[2] ?? 3);
const SECS = Number(process.argv[3] ?? 3);
const ONLY = process.argv[4] ?? 'all';

type Tool = 'iperf3' | 'ours';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = Record<string, any>;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function cmd(tool: Tool, args: string[]): [string, string[]] {
  return tool === 'iperf3'
    ? ['iperf3', args]
    : [process.execPath, [path.join(root, 'bin/hostops.js'), 'iperf', ...args]];
}

function runTo(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    const t = setTimeout(() => {
      if (p.pid)
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }, timeoutMs);
    p.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    p.on('error', reject);
  });
}

/**
 * Waits until the server listens on 127.0.0.1:port (a LISTEN row in /proc/net/tcp). A probe
 * connection would not do: `iperf3 -s -1` takes any connection as its one test.
 */
async function listening(port: number, timeoutMs = 15_000): Promise<void> {
  const row = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n');
    if (rows.some((l) => l.trim().split(/\s+/)[1] === row && l.trim().split(/\s+/)[3] === '0A'))
      return;
    if (Date.now() > end)
      throw new Error(`the server did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pair(tool: Tool, args: string[], serverTool: Tool = tool): Promise<J> {
  const port = await freePort();
  const [sc, sa] = cmd(serverTool, ['-s', '-1', '-p', String(port), '-B', '127.0.0.1']);
  const srv = spawn(sc, sa, { stdio: 'ignore' });
  try {
    // a fixed sleep was too short on a loaded machine (the client got "Connection refused")
    await listening(port);
    const [cc, ca] = cmd(tool, [
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      String(SECS),
      '-J',
      ...args,
    ]);
    const out = await runTo(cc, ca, (SECS + 20) * 1000);
    const j = JSON.parse(out) as J;
    if (j.error) throw new Error(`${tool}: ${j.error}`);
    return j;
  } finally {
    if (srv.exitCode === null && srv.pid)
      try {
        process.kill(srv.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  }
}

/** The run did the work asked: as many streams as -P and bytes received (TCP) or datagrams (UDP). */
function did(what: string, j: J, streams: number): void {
  const got = j.end?.streams?.length;
  const bytes = j.end?.sum_received?.bytes ?? j.end?.sum?.bytes;
  if (got !== streams || !(bytes > 0))
    disagree(`${what}: ${got} streams (asked ${streams}), ${bytes} bytes received`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function tcp(name: string, args: string[]): Promise<void> {
  const got: Record<Tool, number[]> = { iperf3: [], ours: [] };
  // CPU seconds per GB moved (sender + receiver): less sensitive to other load than Gbit/s.
  const cost: Record<Tool, number[]> = { iperf3: [], ours: [] };
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first so a burst of load elsewhere does not always hit the same tool.
    const order: Tool[] = r % 2 ? ['ours', 'iperf3'] : ['iperf3', 'ours'];
    for (const tool of order) {
      const j = await pair(tool, args);
      did(
        `${name} round ${r + 1} ${tool}`,
        j,
        args.includes('-P') ? Number(args[args.indexOf('-P') + 1]) : 1,
      );
      const gbps = j.end.sum_received.bits_per_second / 1e9;
      const c = j.end.cpu_utilization_percent as J;
      got[tool].push(gbps);
      cost[tool].push((c.host_total + c.remote_total) / 100 / (gbps / 8));
    }
    ratios.push(got.ours[r] / got.iperf3[r]);
    console.log(
      `  ${name} round ${r + 1}: iperf3 ${got.iperf3[r].toFixed(2)} Gbit/s (${cost.iperf3[r].toFixed(2)} CPU-s/GB), ` +
        `ours ${got.ours[r].toFixed(2)} Gbit/s (${cost.ours[r].toFixed(2)} CPU-s/GB), ratio ${ratios[r].toFixed(2)}`,
    );
  }
  const a = median(got.iperf3);
  const b = median(got.ours);
  ratio(
    () =>
      `${name}: median iperf3 ${a.toFixed(2)} Gbit/s, ours ${b.toFixed(2)} Gbit/s, ratio of medians ${(b / a).toFixed(2)}, ` +
      `median of paired ratios ${median(ratios).toFixed(2)}; CPU-s/GB iperf3 ${median(cost.iperf3).toFixed(2)}, ours ${median(cost.ours).toFixed(2)}`,
  );
}

/**
 * UDP: iperf3 -> iperf3, ours -> ours, and iperf3 -> ours (the same sender as the first, so the
 * receivers are compared alone). Loss and jitter are what the receiving server measured.
 */
async function udp(name: string, args: string[]): Promise<void> {
  type Row = { mbps: number; loss: number; jitter: number };
  const kinds = ['iperf3', 'ours', 'iperf3->ours'] as const;
  type Kind = (typeof kinds)[number];
  const got: Record<Kind, Row[]> = { iperf3: [], ours: [], 'iperf3->ours': [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order: Kind[] =
      r % 2 ? ['ours', 'iperf3->ours', 'iperf3'] : ['iperf3', 'iperf3->ours', 'ours'];
    for (const k of order) {
      const j = k === 'iperf3->ours' ? await pair('iperf3', args, 'ours') : await pair(k, args);
      did(`${name} round ${r + 1} ${k}`, j, 1);
      const s = j.end.sum as J;
      got[k].push({ mbps: s.bits_per_second / 1e6, loss: s.lost_percent, jitter: s.jitter_ms });
    }
    const f = (x: Row) =>
      `${x.mbps.toFixed(0)} Mbit/s loss ${x.loss.toFixed(3)}% jitter ${x.jitter.toFixed(4)} ms`;
    console.log(
      `  ${name} round ${r + 1}: ${kinds.map((k) => `${k} ${f(got[k][r])}`).join(' | ')}`,
    );
  }
  const m = (k: Kind, key: keyof Row) => median(got[k].map((x) => x[key]));
  console.log(`${name} medians:`);
  for (const k of kinds) {
    console.log(
      `  ${k.padEnd(13)} ${m(k, 'mbps').toFixed(0).padStart(5)} Mbit/s  loss ${m(k, 'loss').toFixed(3).padStart(7)}%  jitter ${m(k, 'jitter').toFixed(4)} ms`,
    );
  }
  ratio(
    () =>
      `  rate ratio ours/iperf3 ${(m('ours', 'mbps') / m('iperf3', 'mbps')).toFixed(2)}; loss iperf3 ${m('iperf3', 'loss').toFixed(3)}% vs ours ${m('ours', 'loss').toFixed(3)}% ` +
      `vs iperf3->ours ${m('iperf3->ours', 'loss').toFixed(3)}%; jitter ${m('iperf3', 'jitter').toFixed(4)} vs ${m('ours', 'jitter').toFixed(4)} vs ${m('iperf3->ours', 'jitter').toFixed(4)} ms`,
  );
}

console.log(
  `iperf throughput on loopback, ${ROUNDS} alternating rounds of ${SECS} s per tool and scenario`,
);
if (ONLY !== 'udp') {
  await tcp('TCP 1 stream', []);
  await tcp('TCP -P 2', ['-P', '2']);
}
if (ONLY !== 'tcp') {
  // -w 4M on both: iperf3 then asks for the same 4 MiB UDP buffers ours use by default.
  await udp('UDP -b 1G -l 1460 -w 4M', ['-u', '-b', '1G', '-l', '1460', '-w', '4M']);
  await udp('UDP -b 2G -l 1460 -w 4M', ['-u', '-b', '2G', '-l', '1460', '-w', '4M']);
}
verdict();
