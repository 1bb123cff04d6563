/**
 * --dscp / -S in every direction, seen on the wire: tcpdump on loopback reads the TOS byte (IPv4)
 * or traffic class (IPv6) of the data packets while our client runs against Debian's iperf3 -s,
 * and while Debian's client runs -R against our server (which now marks what it sends).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer } from '../../src/iperf/index.js';
import { freePort, requireBinary, run, startPeer } from './helpers.js';

requireBinary('iperf3');
requireBinary('tcpdump');
const hostops = new URL('../../bin/hostops.js', import.meta.url).pathname;
const PACKETS = 20;

interface Captured {
  src: number;
  dst: number;
  tos: number;
}

/** tcpdump -v on lo for `filter`, running `during` meanwhile; the first PACKETS packets it saw. */
async function capture(filter: string, during: () => Promise<void>): Promise<Captured[]> {
  const td = spawn('tcpdump', ['-i', 'lo', '-nn', '-v', '-l', '-c', String(PACKETS), filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  td.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => td.on('exit', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
      td.stderr.on('data', (d) => {
        err += d;
        if (/listening on lo/.test(err)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await during();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  } finally {
    if (td.exitCode === null && td.pid)
      try {
        process.kill(td.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  }
  // IPv4: "IP (tos 0xb8, ttl ...)" and the addresses on the next line ("a.b.c.d.PORT > ...");
  // IPv6: "IP6 (class 0xb8, ...) ::1.PORT > ::1.PORT: ..." on one line
  const pkts: Captured[] = [];
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^\S+ IP6? \((?:tos|class) (0x[0-9a-f]+)/.exec(lines[i]);
    if (!h) continue;
    const addr = /\s\S+\.(\d+) > \S+\.(\d+):/;
    const a = addr.exec(lines[i]) ?? addr.exec(lines[i + 1] ?? '');
    if (a) pkts.push({ tos: parseInt(h[1], 16), src: Number(a[1]), dst: Number(a[2]) });
  }
  assert.ok(pkts.length >= PACKETS / 2, `tcpdump saw ${pkts.length} packets:\n${out}\n${err}`);
  return pkts;
}

/** Our client with args against a one-off Debian iperf3 -s on host; the data packets tcpdump saw. */
async function oursAgainstReal(
  host: string,
  args: string[],
  filter: (port: number) => string,
): Promise<{ port: number; pkts: Captured[] }> {
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-p', String(port), '-B', host, '--forceflush'],
    /Server listening/,
  );
  try {
    const pkts = await capture(filter(port), async () => {
      const r = await run(process.execPath, [
        hostops,
        'iperf',
        '-c',
        host,
        '-p',
        String(port),
        '-t',
        '1',
        '-i',
        '0',
        ...args,
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /iperf Done\./);
    });
    return { port, pkts };
  } finally {
    srv.kill();
  }
}

test('--dscp ef forward over TCP: every data packet our client sends carries TOS 0xb8', async () => {
  const { port, pkts } = await oursAgainstReal(
    '127.0.0.1',
    ['--dscp', 'ef'],
    (p) => `tcp dst port ${p} and greater 1000`,
  );
  assert.ok(
    pkts.every((p) => p.dst === port && p.tos === 46 << 2),
    JSON.stringify(pkts.slice(0, 3)),
  );
});

test('-S 0x20 with -R: the real server marks what it sends (it gets TOS in the parameters)', async () => {
  const { port, pkts } = await oursAgainstReal(
    '127.0.0.1',
    ['-R', '-S', '0x20'],
    (p) => `tcp src port ${p} and greater 1000`,
  );
  assert.ok(
    pkts.every((p) => p.src === port && p.tos === 0x20),
    JSON.stringify(pkts.slice(0, 3)),
  );
});

test('--dscp af41 --bidir: both ends mark their data (TOS 0x88 each way)', async () => {
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-p', String(port), '-B', '127.0.0.1', '--forceflush'],
    /Server listening/,
  );
  try {
    // one tcpdump per direction, so neither direction's burst can fill the other's window
    let fromServer: Captured[] = [];
    const toServer = await capture(`tcp dst port ${port} and greater 1000`, async () => {
      fromServer = await capture(`tcp src port ${port} and greater 1000`, async () => {
        const r = await run(process.execPath, [
          hostops,
          'iperf',
          '-c',
          '127.0.0.1',
          '-p',
          String(port),
          '-t',
          '1',
          '-i',
          '0',
          '--bidir',
          '--dscp',
          'af41',
        ]);
        assert.equal(r.status, 0, r.stderr);
      });
    });
    assert.ok(
      toServer.every((p) => p.dst === port && p.tos === 34 << 2),
      JSON.stringify(toServer.slice(0, 3)),
    );
    assert.ok(
      fromServer.every((p) => p.src === port && p.tos === 34 << 2),
      JSON.stringify(fromServer.slice(0, 3)),
    );
  } finally {
    srv.kill();
  }
});

test('--dscp cs1 over UDP, forward', async () => {
  const { port, pkts } = await oursAgainstReal(
    '127.0.0.1',
    ['-u', '-b', '20M', '--dscp', 'cs1'],
    (p) => `udp dst port ${p} and greater 1000`,
  );
  assert.ok(
    pkts.every((p) => p.dst === port && p.tos === 8 << 2),
    JSON.stringify(pkts.slice(0, 3)),
  );
});

test('--dscp ef over IPv6 (::1): IPV6_TCLASS 0xb8 on what our client sends', async () => {
  const { port, pkts } = await oursAgainstReal(
    '::1',
    ['--dscp', 'ef'],
    (p) => `ip6 and tcp dst port ${p} and greater 1000`,
  );
  assert.ok(
    pkts.every((p) => p.dst === port && p.tos === 46 << 2),
    JSON.stringify(pkts.slice(0, 3)),
  );
});

test('Debian iperf3 -c -R --dscp ef against our server: our server marks the data it sends', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1' });
  try {
    const pkts = await capture(`tcp src port ${port} and greater 1000`, async () => {
      const r = await run('iperf3', [
        '-c',
        '127.0.0.1',
        '-p',
        String(port),
        '-t',
        '1',
        '-R',
        '--dscp',
        'ef',
      ]);
      assert.equal(r.status, 0, r.stderr);
    });
    assert.ok(
      pkts.every((p) => p.src === port && p.tos === 46 << 2),
      JSON.stringify(pkts.slice(0, 3)),
    );
  } finally {
    await srv.close();
  }
});
