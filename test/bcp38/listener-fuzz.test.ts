import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { startListener } from '../../src/bcp38/index.js';
import { decodeProbe, encodeProbe } from '../../src/bcp38/spoof/protocol.js';

const PORT = 38397; // unique among the test files (spoof.test.ts uses 38381, 38389, 38392)
const ask = (text: string | Buffer) =>
  new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: PORT });
    let out = '';
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      out += d;
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });
/** Waits (bounded) until the kernel holds no unread datagram for the UDP port (ss's Recv-Q). */
async function drained(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const q = spawnSync('ss', ['-uanH', `sport = :${port}`], { encoding: 'utf8' })
      .stdout.trim()
      .split(/\s+/)[1];
    if (q === '0') return;
  }
  assert.fail(`UDP port ${port} still has unread datagrams after 10 s`);
}
const hello = async () =>
  JSON.parse((await ask('{"op":"hello"}\n')).split('\n')[0]) as { ok: boolean };

test('decodeProbe never throws on random or mutated datagrams (bounded fuzz)', () => {
  const good = encodeProbe('0123456789abcdef', 3, 'control');
  for (let i = 0; i < 5000; i++) {
    const b = i % 2 ? randomBytes(i % 200) : Buffer.from(good);
    if (!(i % 2))
      for (let k = 0; k < 1 + (i % 4); k++) b[(i * 7 + k * 13) % b.length] = (i * 31 + k) & 0xff;
    const p = decodeProbe(b);
    if (p) assert.match(p.session, /^[0-9a-f]{16}$/);
  }
});

test('listen keeps serving after garbage, half-open, huge, slow and too many control clients', async () => {
  const l = await startListener({
    port: PORT,
    host: '127.0.0.1',
    maxConnections: 16,
    connectionTimeoutMs: 1500,
  });
  const held: Socket[] = [];
  const u = createSocket('udp4');
  try {
    // UDP: random bytes and near-miss probes are ignored, the valid probe after them recorded
    for (let i = 0; i < 300; i++)
      u.send(randomBytes(i % 3 ? 1 + (i % 140) : 1400), PORT, '127.0.0.1');
    u.send(Buffer.from('HOB38 1 aaaaaaaaaaaaaaaa 99999999 x\n'), PORT, '127.0.0.1');
    // let the listener drain its receive queue first, or the valid probe is dropped with the
    // garbage on a loaded machine (a fixed pause was not always enough)
    await drained(PORT);
    u.send(encodeProbe('aaaaaaaaaaaaaaaa', 1, 'control'), PORT, '127.0.0.1');
    // TCP: random bytes, lines past MAX_LINE in one write, NUL bytes, two requests on one connection
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => ask(randomBytes(10 + i * 97))),
      ask(Buffer.alloc(256 * 1024, 0x7b)),
      ask(Buffer.from('\0\0\0\n')),
      ask('{"op":"hello"}\n{"op":"results","session":"aaaaaaaaaaaaaaaa"}\n'),
      ask('null\n'),
      ask('[]\n'),
      ask('{"op":{"toString":1}}\n'),
    ]);
    for (const a of answers)
      assert.ok(
        a.split('\n').filter(Boolean).length <= 1,
        `one answer per connection: ${a.slice(0, 200)}`,
      );
    assert.equal((await hello()).ok, true, 'serving after garbage');
    // more half-open and trickling (slowloris) clients than the connection limit
    for (let i = 0; i < 40; i++) {
      const s = connect({ host: '127.0.0.1', port: PORT });
      s.on('error', () => {});
      if (i % 2) s.on('connect', () => s.write('{"op":'));
      held.push(s);
    }
    const trickle = setInterval(() => {
      for (const s of held) if (!s.destroyed) s.write(' ');
    }, 300);
    try {
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await hello()).ok, true, 'serving while the slots are full of idle clients');
      await new Promise((r) => setTimeout(r, 1800));
      assert.equal(
        (await hello()).ok,
        true,
        'serving after the trickling clients hit the deadline',
      );
    } finally {
      clearInterval(trickle);
    }
    const res = JSON.parse(await ask('{"op":"results","session":"aaaaaaaaaaaaaaaa"}\n'));
    assert.deepEqual(
      res.received.map((p: { label: string }) => p.label),
      ['control'],
    );
  } finally {
    u.close();
    for (const s of held) s.destroy();
    await l.close();
  }
});

test('spooftest CLI: --count and --wait are checked before anything is sent', () => {
  for (const [flag, v, msg] of [
    ['--count', 'abc', /--count must be an integer 1\.\.100, got "abc"/],
    ['--count', '0', /--count must be/],
    ['--wait', '', /--wait must be/],
  ] as const) {
    const r = spawnSync(
      process.execPath,
      ['bin/hostops.js', 'bcp38', 'spooftest', '--to', '127.0.0.1', '--port', '9', flag, v],
      { encoding: 'utf8', timeout: 20000 },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
  }
});

test('a flood of forged sessions keeps at most maxSessions, forgets the oldest and expires by age', async () => {
  const l = await startListener({
    port: PORT + 1,
    host: '127.0.0.1',
    maxSessions: 50,
    sessionTtl: 0.3,
  });
  const u = createSocket('udp4');
  try {
    const sid = (i: number) => i.toString(16).padStart(16, '0');
    for (let i = 0; i < 200; i++) u.send(encodeProbe(sid(i), 0, 'control'), PORT + 1, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(l.results(sid(0)).length, 0, 'oldest evicted at the limit');
    assert.equal(l.results(sid(199)).length, 1);
    await new Promise((r) => setTimeout(r, 400));
    u.send(encodeProbe(sid(1000), 0, 'control'), PORT + 1, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(l.results(sid(199)).length, 0, 'expired by age');
    assert.equal(l.results(sid(1000)).length, 1);
  } finally {
    u.close();
    await l.close();
  }
});

test('spooftest: bad --source and --other values are usage errors before any traffic (port 9 has no listener)', () => {
  for (const [args, msg] of [
    [['--source', 'bad label=1.2.3.4'], /label 'bad label' must be/],
    [['--other', '::1'], /--other ::1 is not an IPv4 address/],
    [['--source', 'a=1.2.3.4', '--source', 'a=1.2.3.5'], /labels must be unique/],
  ] as const) {
    const r = spawnSync(
      process.execPath,
      ['bin/hostops.js', 'bcp38', 'spooftest', '--to', '127.0.0.1', '--port', '9', ...args],
      { encoding: 'utf8', timeout: 20000 },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
    assert.match(r.stderr, /code: BCP38_BAD_SOURCE/);
  }
});
