/**
 * Fuzz the server's control port with thousands of random and hostile connections (bounded in
 * count and time, loopback only), then a real iperf3 client must still complete a test and the
 * server process's memory must stay bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { makeCookie } from '../../src/iperf/cookie.js';
import { freePort, requireBinary, run, startPeer, type J } from './helpers.js';

requireBinary('iperf3');

const CONNECTIONS = 3000;
const CONCURRENCY = 64;
const DEADLINE_MS = 45_000;

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function frame(body: Buffer, len = body.length): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(len >>> 0);
  return Buffer.concat([h, body]);
}

const goodParams = () => ({
  tcp: true,
  omit: 0,
  time: 1,
  num: 0,
  blockcount: 0,
  parallel: 1,
  len: 1024,
  client_version: '3.12',
});

/** One hostile client; resolves when its connection is gone. */
function hostile(port: number, kind: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const end = () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(end, 1500);
    s.on('error', end);
    s.on('close', end);
    s.on('data', (d) => {
      // Play along a little: answer CREATE_STREAMS with junk streams, then vanish.
      if (kind === 7 && d.includes(10)) {
        for (let i = 0; i < 3; i++) {
          const x = net.connect(port, '127.0.0.1', () =>
            x.end(i === 0 ? randomBytes(37) : makeCookie()),
          );
          x.on('error', () => {});
        }
        setTimeout(end, 50);
      }
    });
    s.on('connect', () => {
      switch (kind) {
        case 0:
          end();
          break; // connect and close
        case 1:
          s.end(randomBytes(randomInt(1, 200)));
          break; // noise
        case 2:
          s.write(Buffer.concat([makeCookie(), frame(randomBytes(8), 0xffffffff)]));
          break; // CVE-2023-38403 shape
        case 3:
          s.write(Buffer.concat([makeCookie(), frame(randomBytes(randomInt(1, 300)))]));
          break; // JSON that is not
        case 4: {
          // valid JSON, hostile values
          const p: Record<string, unknown> = goodParams();
          const keys = [
            'parallel',
            'len',
            'time',
            'omit',
            'window',
            'bandwidth',
            'num',
            'MSS',
            'udp',
            'reverse',
          ];
          const vals = [-1, 0, 1e300, 'x', null, [], {}, 2 ** 53, true, 999999];
          for (let i = 0; i < 3; i++)
            p[keys[randomInt(keys.length)]] = vals[randomInt(vals.length)];
          s.write(Buffer.concat([makeCookie(), frame(Buffer.from(JSON.stringify(p)))]));
          setTimeout(end, 100);
          break;
        }
        case 5:
          s.write(makeCookie().subarray(0, randomInt(1, 36)));
          break; // half a cookie, then idle
        case 6: {
          const h = Buffer.alloc(40);
          h.writeUInt32BE(0x40010078);
          s.write(h);
          break;
        } // iperf2 header
        case 7:
          s.write(Buffer.concat([makeCookie(), frame(Buffer.from(JSON.stringify(goodParams())))]));
          break;
        default:
          s.write(
            Buffer.concat([
              makeCookie(),
              frame(Buffer.from(JSON.stringify(goodParams()))),
              randomBytes(100_000),
            ]),
          );
          break;
      }
    });
  });
}

test('thousands of hostile control connections, then iperf3 still completes and memory stays bounded', async (t) => {
  const port = await freePort();
  const srv = await startPeer(
    process.execPath,
    [
      'bin/hostops.js',
      'iperf',
      '-s',
      '-p',
      String(port),
      '-B',
      '127.0.0.1',
      '--control-timeout',
      '1',
      '--idle-timeout',
      '2',
      '-i',
      '0',
    ],
    /Server listening/,
  );
  try {
    const pid = srv.proc.pid!;
    const warm = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1', '-J']);
    assert.equal((JSON.parse(warm.stdout) as J).error, undefined);
    const rssBefore = rssKiB(pid);

    const t0 = Date.now();
    let started = 0;
    let peakRss = rssBefore;
    const worker = async () => {
      while (started < CONNECTIONS && Date.now() - t0 < DEADLINE_MS) {
        const kind = randomInt(9);
        started++;
        await hostile(port, kind);
      }
    };
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssKiB(pid));
    }, 200);
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    clearInterval(sampler);
    assert.ok(started >= 1000, `only ${started} connections in the time bound`);
    assert.equal(srv.proc.exitCode, null, 'server still running');

    // Any half-finished hostile test times out within the 1 s control deadline; then a real test passes.
    let ok = false;
    let last = '';
    for (let i = 0; i < 5 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 1200));
      const r = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1', '-J']);
      const j = JSON.parse(r.stdout) as J;
      last = String(j.error);
      ok = j.error === undefined && j.end.sum_received.bytes > 0;
    }
    assert.ok(ok, `real iperf3 test after the fuzz failed: ${last}`);
    const growthMiB = (peakRss - rssBefore) / 1024;
    t.diagnostic(
      `${started} hostile connections in ${Date.now() - t0} ms; server RSS ${rssBefore} KiB before, peak ${peakRss} KiB`,
    );
    assert.ok(growthMiB < 96, `server RSS grew by ${growthMiB.toFixed(1)} MiB under fuzz`);
  } finally {
    srv.kill();
  }
});
