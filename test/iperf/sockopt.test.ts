/**
 * -w and -C on our own TCP sockets and TCP_INFO, through the hostops_sock addon, checked against
 * what the kernel reports and against iperf3 3.12 on the other end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { runClient, startServer, type IperfJson } from '../../src/iperf/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { availableCongestion, defaultCongestion } from '../../src/iperf/sockopt.js';
import { sockAddon } from '../../src/iperf/native-sock.js';
import { freePort, requireBinary, run, startPeer, type J } from './helpers.js';

requireBinary('iperf3');

/** An algorithm that is available but not the default, so seeing it proves setsockopt worked. */
function otherCongestion(): string {
  const alt = availableCongestion().find((a) => a !== defaultCongestion());
  assert.ok(
    alt,
    `these tests need two congestion algorithms in /proc/sys/net/ipv4/tcp_available_congestion_control, have ${availableCongestion().join(' ')}`,
  );
  return alt;
}

test('the addon validates its inputs', () => {
  const a = sockAddon();
  assert.ok(a, 'build/Release/hostops_sock.node must be built (npm run install)');
  assert.throws(() => a.getMss(-1), /non-negative/);
  const file = openSync('/dev/null', 'r');
  try {
    assert.throws(
      () => a.getMss(file),
      (e: NodeJS.ErrnoException) => e.code === 'ENOTSOCK',
    );
  } finally {
    closeSync(file);
  }
  assert.throws(() => a.probeTcp(0, 'no such!'), /letters, digits/);
  assert.throws(() => a.probeTcp(0, 'x'.repeat(16)), /1\.\.15/);
  assert.throws(() => a.probeTcp(2 ** 40, null), /512 MiB/);
  assert.throws(
    () => a.probeTcp(0, 'nosuchcc'),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
  );
});

test('-C with an algorithm the host lacks: exit 3 naming what the host offers, before connecting', async () => {
  const port = await freePort(); // nothing listens: the check must come first
  await assert.rejects(
    runClient({ host: '127.0.0.1', port, duration: 1, congestion: 'nosuchcc' }),
    (e) => {
      assert.ok(e instanceof HostopsError);
      assert.equal(e.exitCode, 3);
      assert.equal(e.code, 'IPERF_CONGESTION');
      for (const a of availableCongestion()) assert.match(e.message, new RegExp(`\\b${a}\\b`));
      return true;
    },
  );
});

/** A window the kernel cannot grant: it caps a request at net.core.[rw]mem_max and doubles that. */
function ungrantableWindow(): number {
  const max = Math.max(
    ...['rmem_max', 'wmem_max'].map((f) => Number(readFileSync(`/proc/sys/net/core/${f}`, 'utf8'))),
  );
  const w = 2 * max + 65536;
  assert.ok(
    w <= 512 * 1024 * 1024,
    `net.core.rmem_max/wmem_max (${max}) leave no ungrantable window under iperf3's 512 MiB limit`,
  );
  return w;
}

test('-w beyond what the kernel grants: exit 3 (iperf3 IESETBUF2)', async () => {
  const port = await freePort();
  await assert.rejects(
    runClient({ host: '127.0.0.1', port, duration: 1, window: ungrantableWindow() }),
    (e) => e instanceof HostopsError && e.exitCode === 3 && e.code === 'IPERF_WINDOW',
  );
});

test('our client -C ALT -w 1M against iperf3 -s: our socket runs ALT, buffers set, tcp_info fills Retr/Cwnd/RTT', async () => {
  const alt = otherCongestion();
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-J', '-p', String(port), '-B', '127.0.0.1'],
    null,
    400,
  );
  try {
    const ours = await runClient({
      host: '127.0.0.1',
      port,
      duration: 1,
      congestion: alt,
      window: 1024 * 1024,
      interval: 0.5,
    });
    await srv.exited;
    const theirs = JSON.parse(srv.stdout()) as J;
    const e = ours.end as J;
    assert.equal(e.sender_tcp_congestion, alt, 'getsockopt(TCP_CONGESTION) on our data socket');
    assert.equal(theirs.end.receiver_tcp_congestion, alt, 'iperf3 applied the -C we sent');
    assert.equal(theirs.start.sock_bufsize, 1024 * 1024);
    assert.ok(
      (ours.start as J).sndbuf_actual >= 1024 * 1024 &&
        (ours.start as J).rcvbuf_actual >= 1024 * 1024,
    );
    assert.ok((ours.start as J).tcp_mss_default > 0, 'control socket MSS');
    const row = ours.intervals[0].streams as J[];
    assert.ok(row[0].snd_cwnd > 0 && row[0].rtt > 0 && row[0].pmtu > 0, JSON.stringify(row[0]));
    assert.equal(typeof row[0].retransmits, 'number');
    assert.ok(
      e.streams[0].sender.max_snd_cwnd > 0 &&
        e.streams[0].sender.max_rtt >= e.streams[0].sender.min_rtt,
    );
    assert.equal(e.sum_received.bytes, theirs.end.sum_received.bytes);
  } finally {
    srv.kill();
  }
});

test('iperf3 -c -C ALT -w 2M -R against our server: our sending socket runs ALT with the buffers asked for', async () => {
  const alt = otherCongestion();
  const port = await freePort();
  const results: IperfJson[] = [];
  const srv = await startServer({
    port,
    host: '127.0.0.1',
    onEvent: (ev) => {
      if (ev.type === 'result') results.push(ev.json);
    },
  });
  try {
    const r = await run('iperf3', [
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-J',
      '-t',
      '1',
      '-R',
      '-C',
      alt,
      '-w',
      '2M',
    ]);
    const theirs = JSON.parse(r.stdout) as J;
    assert.equal(theirs.error, undefined, `iperf3 reported: ${theirs.error}`);
    const ours = results[0] as J;
    assert.equal(ours.end.sender_tcp_congestion, alt);
    assert.equal(
      theirs.end.sender_tcp_congestion,
      alt,
      'iperf3 shows the congestion_used we sent back',
    );
    assert.ok(ours.start.sndbuf_actual >= 2 * 1024 * 1024);
    assert.ok(ours.intervals[0].streams[0].snd_cwnd > 0);
    assert.equal(theirs.end.sum_received.bytes, ours.end.sum_received.bytes);
  } finally {
    await srv.close();
  }
});

test('a window our server cannot grant is refused with iperf3 i_errno 141 and the server goes on', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1' });
  try {
    // iperf3 3.12 validates -w only on its own socket after the server accepted it, so talk
    // to the server directly: params that ask for buffers the kernel will not grant (within the 512 MiB limit).
    const sock = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    await new Promise((r) => sock.once('connect', r));
    const cookie = Buffer.from('abcdefghijklmnopqrstuvwxyz234567abcd\0', 'latin1');
    sock.write(cookie);
    await new Promise((r) => setTimeout(r, 100));
    const params = Buffer.from(
      JSON.stringify({
        tcp: true,
        omit: 0,
        time: 1,
        num: 0,
        blockcount: 0,
        parallel: 1,
        len: 1000,
        window: ungrantableWindow(),
        client_version: '3.12',
      }),
    );
    const len = Buffer.alloc(4);
    len.writeUInt32BE(params.length);
    sock.write(Buffer.concat([len, params]));
    await new Promise((r) => setTimeout(r, 200));
    const data = net.connect(port, '127.0.0.1');
    data.on('error', () => {});
    data.write(cookie);
    await new Promise((r) => setTimeout(r, 300));
    const all = Buffer.concat(got);
    // 9 PARAM_EXCHANGE, 10 CREATE_STREAMS, then -2 SERVER_ERROR with i_errno 141.
    assert.deepEqual([...all.subarray(0, 2)], [9, 10]);
    assert.equal(all.readInt8(2), -2);
    assert.equal(all.readInt32BE(3), 141);
    sock.destroy();
    data.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const ok = await runClient({ host: '127.0.0.1', port, duration: 1 });
    assert.ok((ok.end as J).sum_received.bytes > 0);
  } finally {
    await srv.close();
  }
});
