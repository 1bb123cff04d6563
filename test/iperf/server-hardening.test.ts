/**
 * The server faces hostile clients: busy answers, idle connections, oversized or broken JSON,
 * wrong cookies, iperf2 headers. After each, a real iperf3 client must still complete a test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../../src/iperf/index.js';
import { makeCookie } from '../../src/iperf/cookie.js';
import { sourceKey } from '../../src/iperf/admission.js';
import { freePort, requireBinary, run, type J } from './helpers.js';

requireBinary('iperf3');

/** Connect, write `bytes`, collect what comes back until close or `ms`. */
function exchange(port: number, chunks: Buffer[], ms = 3000): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(got));
    };
    const t = setTimeout(done, ms);
    s.on('data', (d) => got.push(d));
    s.on('close', done);
    s.on('error', done);
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
    });
  });
}

function frame(obj: unknown): Buffer {
  const body = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
  const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length);
  return Buffer.concat([h, body]);
}

async function realTestPasses(port: number): Promise<void> {
  const r = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1', '-J']);
  const j = JSON.parse(r.stdout) as J;
  assert.equal(j.error, undefined, `iperf3 failed after the hostile client: ${j.error}`);
  assert.ok(j.end.sum_received.bytes > 0);
}

test('a second client during a test gets exactly 0xff and EOF (ACCESS_DENIED)', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1' });
  try {
    const real = run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '2', '-J']);
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(srv.busy);
    const got = await exchange(port, [makeCookie()]);
    assert.deepEqual([...got], [0xff]);
    const busy = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1']);
    assert.match(busy.stderr + busy.stdout, /busy/);
    const j = JSON.parse((await real).stdout) as J;
    assert.equal(j.error, undefined);
  } finally {
    await srv.close();
  }
});

test('an idle connection that never sends its cookie does not block a real client', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1', controlTimeoutMs: 5000 });
  const idle = net.connect(port, '127.0.0.1');
  idle.on('error', () => {});
  try {
    await new Promise((r) => idle.on('connect', r));
    await realTestPasses(port);
  } finally {
    idle.destroy();
    await srv.close();
  }
});

test('a 0xFFFFFFFF JSON length and an over-8-KiB params blob are refused with SERVER_ERROR', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1' });
  try {
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const a = await exchange(port, [makeCookie(), huge]);
    assert.equal(a[0], 9, 'PARAM_EXCHANGE first');
    assert.equal(a.readInt8(1), -2, 'then SERVER_ERROR');
    assert.equal(a.readInt32BE(2), 114, 'i_errno IERECVPARAMS');
    const big = frame({ tcp: true, title: 'x'.repeat(9000) });
    const b = await exchange(port, [makeCookie(), big]);
    assert.equal(b.readInt8(1), -2);
    await realTestPasses(port);
  } finally {
    await srv.close();
  }
});

test('parameters out of range get the i_errno iperf3 uses', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1' });
  try {
    const base = {
      tcp: true,
      omit: 0,
      time: 1,
      num: 0,
      blockcount: 0,
      parallel: 1,
      len: 131072,
      client_version: '3.12',
    };
    const cases: [Record<string, unknown>, number][] = [
      [{ ...base, parallel: 999 }, 6],
      [{ ...base, len: 0 }, 7],
      [{ ...base, time: -1 }, 24],
      [{ ...base, omit: 'x' }, 23],
      [{ ...base, window: 2 ** 40 }, 8],
      [{ ...base, tcp: undefined, sctp: true }, 114],
    ];
    for (const [params, ierr] of cases) {
      const got = await exchange(port, [makeCookie(), frame(params)]);
      assert.equal(got.readInt8(1), -2, JSON.stringify(params));
      assert.equal(got.readInt32BE(2), ierr, JSON.stringify(params));
    }
    const notJson = await exchange(port, [makeCookie(), frame('{"tcp":tru')]);
    assert.equal(notJson.readInt8(1), -2);
    await realTestPasses(port);
  } finally {
    await srv.close();
  }
});

test('an iperf2 client header and a non-cookie are dropped cleanly', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1' });
  try {
    const hdr = Buffer.alloc(40);
    hdr.writeUInt32BE(0x40010078, 0);
    hdr.writeInt32BE(1, 4);
    hdr.writeInt32BE(port, 8);
    hdr.writeInt32BE(-100, 20);
    const got = await exchange(port, [hdr], 2000);
    assert.equal(got.length, 0, 'nothing but a close');
    const r = await run('iperf', ['-c', '127.0.0.1', '-p', String(port), '-t', '1'], 10_000);
    assert.notEqual(r.status, null, 'iperf2 client finished instead of hanging');
    await realTestPasses(port);
  } finally {
    await srv.close();
  }
});

test('a stream with the wrong cookie is refused and the test still completes', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1', controlTimeoutMs: 2000 });
  try {
    // A hostile control client that asks for streams and then offers one with a foreign cookie.
    const cookie = makeCookie();
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    const states: number[] = [];
    let streamReply: Buffer | null = null;
    await new Promise<void>((resolve) => {
      s.on('connect', () => s.write(cookie));
      s.on('data', (d) => {
        for (const b of d) states.push((b << 24) >> 24);
        if (states.includes(9) && states.length === 1)
          s.write(
            frame({ tcp: true, time: 1, parallel: 1, len: 1024, omit: 0, num: 0, blockcount: 0 }),
          );
        if (states.includes(10) && !streamReply) {
          streamReply = Buffer.alloc(0);
          const bad = net.connect(port, '127.0.0.1', () => bad.write(makeCookie()));
          bad.on('data', (x) => {
            streamReply = Buffer.concat([streamReply!, x]);
          });
          bad.on('error', () => {});
          bad.on('close', () => {
            s.destroy();
            resolve();
          });
        }
      });
      s.on('close', () => resolve());
    });
    assert.deepEqual(streamReply && [...(streamReply as Buffer)], [0xff]);
    await new Promise((r) => setTimeout(r, 300));
    await realTestPasses(port);
  } finally {
    await srv.close();
  }
});

/**
 * An attacker on 127.0.0.1 that tries to hold `count` silent connections (never a cookie),
 * re-opening every closed one each `renewMs` (bounded: it stops when told, or after 60 rounds).
 */
function silentFlood(
  port: number,
  count: number,
  renewMs = 500,
): { opened: () => number; connected: Promise<void>; stop: () => void } {
  const live = new Set<net.Socket>();
  let opened = 0;
  let stopped = false;
  let rounds = 0;
  let firstRound: () => void = () => {};
  const connected = new Promise<void>((r) => {
    firstRound = r;
  });
  const top = () => {
    const want = count - live.size;
    let pendingConnects = want;
    for (let i = 0; i < want; i++) {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
      live.add(s);
      opened++;
      const settled = () => {
        if (--pendingConnects === 0) firstRound();
      };
      s.once('connect', settled);
      s.on('error', () => {});
      s.on('close', () => {
        live.delete(s);
      });
      s.once('close', () => {
        if (s.connecting) settled();
      });
    }
    if (want === 0) firstRound();
  };
  top();
  const timer = setInterval(() => {
    if (stopped || ++rounds > 60) {
      clearInterval(timer);
      return;
    }
    top();
  }, renewMs);
  return {
    opened: () => opened,
    connected,
    stop: () => {
      stopped = true;
      clearInterval(timer);
      for (const s of live) s.destroy();
    },
  };
}

async function realTestFrom(port: number, source: string): Promise<J> {
  const r = await run('iperf3', [
    '-c',
    '127.0.0.1',
    '-B',
    source,
    '-p',
    String(port),
    '-t',
    '1',
    '-J',
  ]);
  return JSON.parse(r.stdout) as J;
}

test('one source holding 100 silent connections does not lock out a real iperf3 client from another address', async () => {
  const port = await freePort();
  const events: { peer: string; reason: string }[] = [];
  const results: string[] = [];
  const srv = await startServer({
    port,
    host: '127.0.0.1',
    onEvent: (e) => {
      if (e.type === 'rejected') events.push(e);
      if (e.type === 'result') results.push(e.peer);
    },
  });
  const flood = silentFlood(port, 100);
  try {
    await flood.connected;
    assert.ok(flood.opened() >= 100);
    const j = await realTestFrom(port, '127.0.0.2');
    assert.equal(j.error, undefined, `iperf3 from 127.0.0.2 was locked out: ${j.error}`);
    assert.ok(j.end.sum_received.bytes > 0);
    assert.equal(j.start.connected[0].local_host, '127.0.0.2');
    assert.equal(results.length, 1);
    assert.match(results[0], /127\.0\.0\.2/);
    // the flood only ever evicted its own connections
    const evicted = events.filter((e) => e.reason.startsWith('evicted'));
    assert.ok(evicted.length >= 96, `expected the flood to evict itself, saw ${evicted.length}`);
    assert.ok(
      evicted.every((e) => /^127\.0\.0\.1 /.test(e.peer)),
      JSON.stringify(evicted.find((e) => !/^127\.0\.0\.1 /.test(e.peer))),
    );
  } finally {
    flood.stop();
    await srv.close();
  }
});

test('a client that sends its cookie and then no parameters gives way to a real client after the grace period', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1', paramGraceMs: 500 });
  const squatter = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
  squatter.on('error', () => {});
  try {
    // wait for PARAM_EXCHANGE (9): the squatter now holds the test slot and says nothing more
    await new Promise<void>((resolve) => {
      squatter.on('connect', () => squatter.write(makeCookie()));
      squatter.on('data', (d) => {
        if (d.includes(9)) resolve();
      });
    });
    assert.ok(srv.busy);
    await new Promise((r) => setTimeout(r, 700));
    const closed = new Promise<void>((r) => squatter.on('close', () => r()));
    const j = await realTestFrom(port, '127.0.0.2');
    assert.equal(
      j.error,
      undefined,
      `iperf3 was refused while a silent client held the test: ${j.error}`,
    );
    assert.ok(j.end.sum_received.bytes > 0);
    await closed;
    assert.equal(srv.completed, 1);
  } finally {
    squatter.destroy();
    await srv.close();
  }
});

test('silent-connection limits count an IPv4 address, or an IPv6 /64', () => {
  assert.equal(sourceKey('::ffff:198.18.0.1'), '198.18.0.1');
  assert.equal(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:2:ffff::9'));
  assert.notEqual(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:3::5'));
  assert.equal(sourceKey('2001:db8:1:2::5'), '2001:db8:1:2::/64');
});
