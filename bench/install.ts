// The release tarball: its size, how long `npm install -g` of it takes offline with no compiler
// (empty npm cache, compilers on PATH replaced by failing stubs), and the installed
// `hostops --version` start-up time against `exim -bV` (reference), both timed the same way in
// this run: median wall time of RUNS interleaved runs each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INSTALLS = Number(process.env.BENCH_INSTALLS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const EXIM = ['/usr/sbin/exim4', '/usr/sbin/exim'].find((p) => fs.existsSync(p));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function die(msg: string): never {
  console.error(`bench/install: ${msg}`);
  process.exit(1);
}

function timed(
  cmd: string,
  args: string[],
  opts: Parameters<typeof spawnSync>[2] = {},
): { ms: number; out: string; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return {
    ms: performance.now() - t0,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    status: r.status,
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-bench-install-'));
try {
  const pre = spawnSync(process.execPath, ['scripts/prebuild.mjs', 'prepack'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  let packed: { filename: string; size: number; unpackedSize: number; entryCount: number };
  try {
    if (pre.status !== 0) die(`prepack failed: ${pre.stderr}`);
    const pack = spawnSync(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (pack.status !== 0) die(`npm pack failed: ${pack.stderr}`);
    packed = JSON.parse(pack.stdout)[0];
  } finally {
    spawnSync(process.execPath, ['scripts/prebuild.mjs', 'postpack'], { cwd: ROOT });
  }
  const tgz = path.join(tmp, path.basename(packed.filename));
  console.log(
    `tarball ${path.basename(tgz)}: ${(packed.size / 1e6).toFixed(2)} MB (${packed.size} bytes), ${packed.entryCount} files, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked`,
  );

  const shim = path.join(tmp, 'shim');
  fs.mkdirSync(shim);
  for (const c of ['gcc', 'cc', 'g++', 'c++', 'make'])
    fs.writeFileSync(path.join(shim, c), '#!/bin/sh\nexit 127\n', { mode: 0o755 });
  const env = {
    PATH: `${shim}:${path.dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: tmp,
    LANG: 'C',
  };
  const installMs: number[] = [];
  let bin = '';
  for (let i = 0; i < INSTALLS; i++) {
    const prefix = path.join(tmp, `prefix${i}`);
    const r = timed(
      'npm',
      [
        'install',
        '-g',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--cache',
        path.join(tmp, `cache${i}`),
        '--prefix',
        prefix,
        tgz,
      ],
      { cwd: tmp, env },
    );
    if (r.status !== 0) die(`npm install -g failed:\n${r.out}`);
    if (fs.existsSync(path.join(prefix, 'lib', 'node_modules', 'hostops', 'build')))
      die('the install compiled the addons (it should use the prebuilds)');
    installMs.push(r.ms);
    bin = path.join(prefix, 'bin', 'hostops');
  }
  console.log(
    `npm install -g of the tarball, offline, empty cache, no compiler: median ${(median(installMs) / 1000).toFixed(1)} s over ${INSTALLS} installs (${installMs.map((m) => (m / 1000).toFixed(1)).join(', ')} s)`,
  );

  if (!EXIM)
    die('exim is not installed (the reference for start-up time); run scripts/setup-test.sh');
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  const ours: number[] = [];
  const theirs: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    floor.push(timed(process.execPath, ['-e', '0'], { cwd: tmp, env }).ms);
    const a = timed(bin, ['--version'], { cwd: tmp, env });
    if (a.status !== 0 || a.out !== `${version}\n`)
      die(`hostops --version printed ${JSON.stringify(a.out)}`);
    const b = timed(EXIM, ['-bV'], { cwd: tmp, env });
    if (b.status !== 0 || !/^Exim version \S+/.test(b.out))
      die(`exim -bV printed ${JSON.stringify(b.out.slice(0, 80))}`);
    ours.push(a.ms);
    theirs.push(b.ms);
  }
  const [o, t] = [median(ours), median(theirs)];
  console.log(
    `start-up, median of ${RUNS}: installed hostops --version ${o.toFixed(1)} ms (ours), ${EXIM} -bV ${t.toFixed(1)} ms (reference): ratio ${(o / t).toFixed(2)}`,
  );
  console.log(
    `  (node -e 0 on this machine now, same statistic: ${median(floor).toFixed(1)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
  );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
