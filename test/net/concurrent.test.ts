/**
 * Concurrent probe sessions to one target must not take each other's replies: mtr plus ping
 * sessions in one process (what `hostops serve` does), and two `hostops ping` processes at once,
 * with raw and with datagram ICMP sockets.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Topology, chain } from '../lib/netns.js';
import { hostops, root } from './helpers.js';

const t = new Topology('pic');
let c: ReturnType<typeof chain>;
let target = '';
const FIXTURE = path.join(root, 'test/net/fixtures/concurrent-probes.ts');

before(() => {
  c = chain(t, 2, 81);
  target = c.hops[2];
});
after(() => t.destroy());

type Round = [number, number, number, number, number | null];

/** Run argv in the source namespace concurrently with others; resolves with its stdout. */
function run(argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const p = t.spawn(c.src, argv, { cwd: root });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('exit', (code) => resolve({ stdout, stderr, code }));
  });
}

async function concurrent(
  sessions: number,
  rounds: number,
  count: number,
  intervalMs: number,
  cycles: number,
  mode: string,
  pin = false,
) {
  const r = await run([
    process.execPath,
    '--import',
    'tsx',
    FIXTURE,
    target,
    ...[sessions, rounds, count, intervalMs, cycles].map(String),
    mode,
    ...(pin ? ['pin'] : []),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { ping: Round[][]; mtr: [string | null, number, number][] | null };
}

for (const mode of ['raw', 'dgram']) {
  test(`ping on ${mode} sockets: mtr and two ping sessions in one process each get every reply of a clean path`, async () => {
    const res = await concurrent(2, 3, 20, 20, 30, mode);
    for (const s of res.ping) {
      for (const [tx, rx, dup, err, med] of s) {
        assert.deepEqual([tx, rx, dup, err], [20, 20, 0, 0], JSON.stringify(res.ping));
        assert.ok(med !== null && med > 0 && med < 0.01, `median ${med}`);
      }
    }
    assert.deepEqual(
      res.mtr!.map((h) => h[0]),
      c.hops,
    );
    assert.deepEqual(
      res.mtr!.map((h) => h[1]),
      [0, 0, 0],
      JSON.stringify(res.mtr),
    );
  });
}

test('behind a 30% drop the concurrent sessions each see binomially plausible loss, nothing more', async () => {
  t.loss(`${t.prefix}r2`, 30, `ip daddr ${target} icmp type echo-request`, 'forward');
  try {
    const res = await concurrent(2, 3, 20, 20, 30, 'raw');
    for (const s of res.ping) {
      const n = s.reduce((a, r) => a + r[0], 0);
      const lost = n - s.reduce((a, r) => a + r[1], 0);
      assert.equal(n, 60);
      // lost ~ Binomial(60, 0.3): mean 18; outside 4..34 has probability below 1e-5
      assert.ok(lost >= 4 && lost <= 34, `lost ${lost} of 60: ${JSON.stringify(s)}`);
      assert.ok(
        s.every((r) => r[2] === 0 && r[3] === 0),
        'no duplicates or errors',
      );
    }
  } finally {
    t.exec(`${t.prefix}r2`, ['nft', 'delete', 'table', 'inet', 'hoemu_forward']);
  }
});

test("sessions of one process never share a raw echo id: even when their random picks collide, ping takes none of mtr's ICMP errors", async () => {
  // every echo request to the target dropped: ping's probes stay outstanding for the whole round
  // while mtr's TTL 1 and 2 probes, keys 1, 2, ~14, ~15 ..., come back as "time to live exceeded"
  t.nft(
    `${t.prefix}r2`,
    `table inet piblock {
  chain c { type filter hook forward priority 0; policy accept;
    ip daddr ${target} icmp type echo-request drop
  }
}`,
  );
  try {
    // Math.random pinned in the fixture: ping and mtr pick the same id at random; 20 probes in 40 ms
    const res = await concurrent(1, 1, 20, 2, 20, 'raw', true);
    // with a shared id, mtr's errors for keys 1..20 were counted as ping's (3 errors in a round)
    assert.deepEqual(res.ping[0][0].slice(0, 4), [20, 0, 0, 0], JSON.stringify(res.ping));
    assert.deepEqual(
      res.mtr!.slice(0, 2).map((h) => [h[0], h[1]]),
      [
        [c.hops[0], 0],
        [c.hops[1], 0],
      ],
      JSON.stringify(res.mtr),
    );
  } finally {
    t.exec(`${t.prefix}r2`, ['nft', 'delete', 'table', 'inet', 'piblock']);
  }
});

test('two hostops ping processes at once to the same address each get all their replies', async () => {
  for (const mode of ['raw', 'dgram']) {
    const args = [
      process.execPath,
      hostops,
      'ping',
      '--mode',
      mode,
      '--json',
      '-q',
      '-c',
      '50',
      '-i',
      '0.01',
      target,
    ];
    const [a, b] = await Promise.all([run(args), run(args)]);
    for (const r of [a, b]) {
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      const s = Array.isArray(j) ? j[0] : j;
      assert.deepEqual(
        [s.transmitted, s.received, s.duplicates, s.errors],
        [50, 50, 0, 0],
        `${mode}: ${r.stdout}`,
      );
    }
  }
});
