// One agent probing 1,000 targets at 1 probe/s each (20 pings per target every 20 s), run inside
// a test namespace; prints the agent's CPU use as % of one core (goal < 50%). Targets are 1,000
// addresses of 198.19.0.0/22 answered by a second namespace (AnyIP local route).
// Compared: the agent on src/net's pingMany (ours) vs the same agent on Debian's fping (reference).
// The ratio is printed only when fping exited 0 every round and both agents stored the same rounds
// (20 sent, 20 received for each of the 1,000 targets in every stored round).
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { agree, disagree, ratio, verdict } from './bench-util.js';

const N = 1000;
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 22);
const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 35);
const here = fileURLToPath(import.meta.url);
const targets = Array.from(
  { length: N },
  (_, i) => `198.19.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`,
);

async function child(prober: string, dir: string): Promise<void> {
  const { configSchema, resolveConfig } = await import('../src/config/index.js');
  const { serve } = await import('../src/serve/index.js');
  const { latencyProber } = await import('../src/serve/probes/registry.js');
  const { fpingProber } = await import('../src/serve/probes/latency.js');
  // fping through a wrapper that records its exit status (the prober keeps only its output); the
  // wrapper's own cost is one sh per 20 s round
  const wrapper = path.join(dir, 'fping-status.sh');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nfping "$@"\ns=$?\necho $s >> ${path.join(dir, 'fping-status')}\nexit $s\n`,
  );
  chmodSync(wrapper, 0o755);
  const cfg = resolveConfig(
    configSchema.parse({
      site: 'bench',
      defaults: { self: false, gateway: false },
      listen: { host: '127.0.0.1', port: 0 },
      store: { path: path.join(dir, 'bench.db') },
      ping: { interval: '20s', count: 20, timeout: '1s' },
      path: { enabled: false },
      iperf: { server: false },
      mailq: { enabled: false },
      ntp: { enabled: false },
      amp: { enabled: false },
      targets: targets.map((host, i) => ({ name: `t${i}`, host, path: false })),
    }),
    { routeFile: '/nonexistent' },
  );
  const running = await serve(cfg, {
    probes: { latency: prober === 'fping' ? fpingProber(wrapper) : latencyProber(prober) },
    firstRunSpread: 0,
    log: (m) => process.stderr.write(m + '\n'),
  });
  process.stdout.write(`ready ${running.url}\n`);
  process.on('SIGTERM', () => {
    void running.stop().then(() => process.exit(0));
  });
}

/** utime+stime of a process and its waited-for children (fping), in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100; // fields 14-17, HZ=100
}

interface Measured {
  cpu: number;
  rounds: number;
  loss: number;
  perTarget: Map<string, [number, number, number]>;
  fpingStatus: number[];
}

async function measure(prober: string): Promise<Measured> {
  const { Topology } = await import('../test/lib/netns.js');
  const t = new Topology('sb');
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-bench-probe-'));
  try {
    const a = t.ns('a');
    const z = t.ns('z');
    t.link(a, '198.18.200.1/30', z, '198.18.200.2/30');
    t.exec(a, ['ip', 'route', 'add', '198.19.0.0/22', 'via', '198.18.200.2']);
    t.exec(z, ['ip', 'route', 'add', 'local', '198.19.0.0/22', 'dev', 'lo']);
    const proc = t.spawn(a, [process.execPath, '--import', 'tsx', here, '--child', prober, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      proc.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
    });
    // `ip netns exec` execs the command, so proc.pid is the agent itself
    await sleep(WARMUP_S * 1000);
    const c0 = cpuSeconds(proc.pid!);
    const w0 = performance.now();
    await sleep(MEASURE_S * 1000);
    const c1 = cpuSeconds(proc.pid!);
    const w1 = performance.now();
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    const db = new Database(path.join(dir, 'bench.db'), { readonly: true });
    const out = Object.values(
      db
        .prepare('SELECT COUNT(*) AS n, SUM(sent) AS s, SUM(received) AS r FROM ping')
        .get() as object,
    ).map(Number);
    const perTarget = new Map(
      (
        db
          .prepare(
            'SELECT target, COUNT(*) AS n, SUM(sent) AS s, SUM(received) AS r FROM ping GROUP BY target',
          )
          .all() as { target: string; n: number; s: number; r: number }[]
      ).map((x) => [x.target, [x.n, x.s, x.r] as [number, number, number]]),
    );
    db.close();
    const statusFile = path.join(dir, 'fping-status');
    const fpingStatus = existsSync(statusFile)
      ? readFileSync(statusFile, 'utf8').trim().split('\n').map(Number)
      : [];
    return {
      cpu: ((c1 - c0) / ((w1 - w0) / 1000)) * 100,
      rounds: out[0],
      loss: out[1] ? 1 - out[2] / out[1] : 1,
      perTarget,
      fpingStatus,
    };
  } finally {
    t.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
} else {
  const which = (process.env.BENCH_PROBERS ?? 'net,fping').split(',');
  const res: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const p of which) {
    res[p] = await measure(p);
    console.log(
      `agent with ${p === 'net' ? 'src/net pingMany (ours)' : 'fping (reference)'}: ${res[p].cpu.toFixed(1)}% of one core for ${N} targets at 1 probe/s each ` +
        `(${res[p].rounds} rounds stored, loss ${(res[p].loss * 100).toFixed(2)}%, goal < 50%: ${res[p].cpu < 50 ? 'met' : 'MISSED'})`,
    );
  }
  for (const p of which) {
    const r = res[p];
    // every target stored the same number of whole rounds: 20 sent, 20 replies each
    const shapes = new Set(
      [...r.perTarget.values()].map(([n, s, rc]) => `${n} rounds, ${s} sent, ${rc} received`),
    );
    agree(`${p}: targets with stored rounds`, r.perTarget.size, N);
    agree(
      `${p}: rounds per target (one shape for all targets)`,
      [...shapes],
      [...shapes].slice(0, 1),
    );
    const [n, s, rc] = [...r.perTarget.values()][0] ?? [0, 0, 0];
    if (n < 1) disagree(`${p}: no round stored`);
    agree(`${p}: probes sent and received per target`, [s, rc], [n * 20, n * 20]);
  }
  if (res.fping) {
    if (!res.fping.fpingStatus.length) disagree('fping never ran (no exit status recorded)');
    agree(
      'fping exit status of every round',
      res.fping.fpingStatus.filter((x) => x !== 0),
      [],
    );
  }
  if (res.net && res.fping) {
    agree('rounds stored (ours vs fping)', res.net.rounds, res.fping.rounds);
    ratio(() => `ours/reference CPU ratio: ${(res.net.cpu / res.fping.cpu).toFixed(2)}`);
  }
  verdict();
}
