// Issue 11 item 2: every C entry point that parses outside bytes is fuzzed under AddressSanitizer
// and UBSan (native/fuzz/*.c harnesses link the real parser sources), and every addon is built
// with -fsanitize=address,undefined and driven through real calls (test/native/asan-calls.mjs).
// Bounded: HOSTOPS_FUZZ_ITERS inputs per entry point (the harness defaults otherwise), one
// sanitizer build. A report fails the test; the input that caused it is kept in
// HOSTOPS_FUZZ_CRASH_DIR (default $TMPDIR/hostops-fuzz-crashes). How to run longer by hand:
// docs/ARCHITECTURE.md, "Sanitizers and fuzzing".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateMainlog } from '../mailq/fixtures/gen-mainlog.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FUZZ = path.join(ROOT, 'native', 'fuzz');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-fuzz-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const CRASH_DIR =
  process.env.HOSTOPS_FUZZ_CRASH_DIR ?? path.join(os.tmpdir(), 'hostops-fuzz-crashes');
const SAN = [
  '-g',
  '-O1',
  '-fsanitize=address,undefined',
  '-fno-sanitize-recover=all',
  '-fno-omit-frame-pointer',
];
const SAN_ENV = {
  ASAN_OPTIONS: 'halt_on_error=1:abort_on_error=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};

/** Node's own headers (node_api.h, uv.h, common.gypi): where the normal addon build found them. */
function nodeDir(): string {
  const cands: string[] = [];
  try {
    const m = fs
      .readFileSync(path.join(ROOT, 'build', 'config.gypi'), 'utf8')
      .match(/"nodedir": "([^"]+)"/);
    if (m) cands.push(m[1]);
  } catch {
    /* not configured: try the others */
  }
  cands.push(
    path.resolve(process.execPath, '..', '..'),
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node),
  );
  const d = cands.find((c) => fs.existsSync(path.join(c, 'include', 'node', 'node_api.h')));
  assert.ok(d, `node headers (include/node/node_api.h) not found in ${cands.join(', ')}`);
  return d;
}

function nodeGyp(): string {
  const cands = [
    path.join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.resolve(
      process.execPath,
      '..',
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  const g = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  if (g.status === 0)
    cands.push(path.join(g.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const f = cands.find((c) => fs.existsSync(c));
  assert.ok(f, `node-gyp not found in ${cands.join(', ')}`);
  return f;
}

/** Real mainlog text as seeds: exim lines by hand (every selector form), a generated log, the
 * issue's cut line. */
function mainlogSeeds(): string[] {
  const hand = path.join(work, 'hand.log');
  fs.writeFileSync(
    hand,
    [
      '2026-11-24 10:00:00.123 +0100 [1234] 1xVwEz-0001T5-2H <= a@x.example H=(helo) [192.0.2.1]:25 P=esmtpa A=dovecot_login:info@x.example S=1 T="a \\" for x" for r@y.example s@y.example',
      '2026-11-24 10:00:01 [99] 1xVwTs-000000002b4-1DYh <= b@x.example U=alice P=local S=1 T="b" for r@y.example',
      '2026-11-24 10:00:02 1xVwEz-0001T6-2H <= c@x.example H=mx.example [198.51.100.7] P=esmtp S=5 for r@y.example',
      '2026-11-24 10:00:03 1xVwEz-0001T7-2H <= <> R=1xVwEz-0001T5-2H U=Debian-exim P=local S=1 for a@b',
      '2026-11-24 10:00:04 cwd=/home/alice/public_html/wp 3 args: /usr/sbin/sendmail -t -i',
      '2026-11-24 10:00:05 cwd=/var/spool/exim4 4 args: /usr/sbin/exim4 -Mc 1xVwEz-0001T5-2H',
      '2026-11-24 10:00:06 cwd=/root 2 args: exim -bp',
      '2026-11-24 10:00:07 1xVwEz-0001T5-2H => r@y.example R=dnslookup T=remote_smtp H=mx [192.0.2.9]',
      '... 3 lines omitted',
      '2024-01-01 00:00:00.',
      'xxxxxxxxx-xxxxxx-xx <= xxxxxxxxxxxxxxxxx',
    ].join('\n') + '\n',
    'latin1',
  );
  const gen = path.join(work, 'gen.log');
  generateMainlog(gen, { bytes: 60_000, seed: 11, traps: true, garbage: true });
  return [hand, gen];
}

interface Harness {
  name: string;
  src: string[];
  flags?: string[];
  entries: string[];
  seeds?: () => string[];
}
const HARNESSES: Harness[] = [
  { name: 'mainlog', src: ['fuzz_mainlog.c'], entries: ['mainlog.feed'], seeds: mainlogSeeds },
  {
    name: 'probe',
    src: ['fuzz_probe.c', '../probe/parse.c'],
    entries: [
      'probe.icmp4_raw',
      'probe.icmp6_raw',
      'probe.tcp_reply4',
      'probe.tcp_reply6',
      'probe.icmp_dgram',
      'probe.errqueue',
      'probe.icmp_ext',
    ],
  },
  { name: 'scan', src: ['fuzz_scan.c'], flags: ['-pthread'], entries: ['scan.responder_handle'] },
  { name: 'sock', src: ['fuzz_sock.c'], entries: ['sock.udp_account', 'sock.udp_drain'] },
];

/** Keeps what a failed run left (reproducers, the sanitizer report) and names it. */
function keep(out: string, name: string, stderr: string): string {
  fs.mkdirSync(CRASH_DIR, { recursive: true });
  const kept: string[] = [];
  for (const f of fs.existsSync(out) ? fs.readdirSync(out) : []) {
    fs.copyFileSync(path.join(out, f), path.join(CRASH_DIR, f));
    kept.push(path.join(CRASH_DIR, f));
  }
  const log = path.join(CRASH_DIR, `${name}.log`);
  fs.writeFileSync(log, stderr);
  return [...kept, log].join(', ');
}

for (const h of HARNESSES) {
  test(`fuzz ${h.entries.join(', ')} under ASan+UBSan: no report`, (t) => {
    const bin = path.join(work, `fuzz_${h.name}`);
    const cc = spawnSync(
      'cc',
      [
        ...SAN,
        '-Wall',
        '-Wno-unused-function',
        '-Wno-unused-variable',
        '-I',
        path.join(nodeDir(), 'include', 'node'),
        '-I',
        path.join(ROOT, 'native', 'common'),
        '-o',
        bin,
        ...h.src,
        ...(h.flags ?? []),
      ],
      { cwd: FUZZ, encoding: 'utf8' },
    );
    assert.equal(cc.status, 0, `cc failed:\n${cc.stderr}`);
    const out = path.join(work, `out-${h.name}`);
    fs.mkdirSync(out);
    const r = spawnSync(bin, h.seeds ? h.seeds() : [], {
      encoding: 'utf8',
      timeout: 150_000,
      env: { ...process.env, ...SAN_ENV, HOSTOPS_FUZZ_OUT: out },
    });
    if (r.status !== 0) {
      assert.fail(
        `fuzz_${h.name} failed (status ${r.status}, signal ${r.signal}); kept: ${keep(out, h.name, r.stderr)}\n` +
          `replay: ${bin} --run <file.crash> <entry>\n${r.stderr.slice(-4000)}`,
      );
    }
    for (const e of h.entries) {
      const m = r.stdout.match(
        new RegExp(`^fuzz ${e.replace('.', '\\.')} inputs=(\\d+) seeds=(\\d+)$`, 'm'),
      );
      assert.ok(m, `no count for ${e}:\n${r.stdout}`);
      assert.ok(Number(m[1]) > 0);
      t.diagnostic(`${e}: ${m[1]} inputs (${m[2]} seeds), no sanitizer report`);
    }
  });
}

test('every addon built with -fsanitize=address,undefined answers real calls (spool, scan, probe, sock, raw)', (t) => {
  const names = ['hostops_probe', 'hostops_raw', 'hostops_scan', 'hostops_spool', 'hostops_sock'];
  let dir = process.env.HOSTOPS_ASAN_BUILD_DIR ?? '';
  if (!dir || !names.every((n) => fs.existsSync(path.join(dir, `${n}.node`)))) {
    // a copy of binding.gyp and native/: the project's own build/ is never touched
    const src = path.join(work, 'asan');
    fs.mkdirSync(src);
    fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(src, 'binding.gyp'));
    fs.cpSync(path.join(ROOT, 'native'), path.join(src, 'native'), { recursive: true });
    const b = spawnSync(
      process.execPath,
      [nodeGyp(), 'rebuild', '-j', '2', `--nodedir=${nodeDir()}`],
      {
        cwd: src,
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, CFLAGS: SAN.join(' '), LDFLAGS: '-fsanitize=address,undefined' },
      },
    );
    assert.equal(
      b.status,
      0,
      `sanitizer build failed:\n${b.stdout.slice(-3000)}\n${b.stderr.slice(-3000)}`,
    );
    dir = path.join(src, 'build', 'Release');
  }
  const libasan = spawnSync('cc', ['-print-file-name=libasan.so'], {
    encoding: 'utf8',
  }).stdout.trim();
  assert.ok(
    path.isAbsolute(libasan) && fs.existsSync(libasan),
    `libasan.so not found (${libasan})`,
  );
  const calls = path.join(work, 'calls');
  fs.mkdirSync(calls);
  const r = spawnSync(
    process.execPath,
    [
      '--no-deprecation',
      path.join(ROOT, 'test', 'native', 'asan-calls.mjs'),
      dir,
      calls,
      process.env.HOSTOPS_FUZZ_ADDON_ROUNDS ?? '1000',
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        ...SAN_ENV,
        LD_PRELOAD: libasan,
        ASAN_OPTIONS: `${SAN_ENV.ASAN_OPTIONS}:detect_leaks=0`,
      },
    },
  );
  const report = /ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/.test(r.stderr);
  if (r.status !== 0 || report) {
    assert.fail(
      `addon calls under ASan failed (status ${r.status}, signal ${r.signal}); kept: ${keep(path.join(work, 'none'), 'addons', r.stderr)}\n${r.stderr.slice(-4000)}`,
    );
  }
  const counts = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(counts.ok, true);
  t.diagnostic(`addon calls: ${JSON.stringify(counts)}`);
});

test("the same real calls through the project's own build (build/Release) answer the same", (t) => {
  const calls = path.join(work, 'calls-release');
  fs.mkdirSync(calls);
  const r = spawnSync(
    process.execPath,
    [
      '--no-deprecation',
      path.join(ROOT, 'test', 'native', 'asan-calls.mjs'),
      path.join(ROOT, 'build', 'Release'),
      calls,
      '100',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, `status ${r.status}, signal ${r.signal}\n${r.stderr.slice(-4000)}`);
  const counts = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(counts.ok, true);
  t.diagnostic(`addon calls: ${JSON.stringify(counts)}`);
});
