/**
 * UDP interoperability with iperf3 3.12: the stream hello/reply, datagram header, loss and
 * jitter computed by whichever end receives, and packet counts that agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClient } from '../../src/iperf/index.js';
import { freePort, requireBinary, startPeer, iperf3AgainstOurs, type J } from './helpers.js';

requireBinary('iperf3');

test('our UDP client against iperf3 -s: iperf3 counts every datagram we sent', async () => {
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
      protocol: 'udp',
      bitrate: 20_000_000,
      len: 1200,
    });
    await srv.exited;
    const theirs = JSON.parse(srv.stdout()) as J;
    const u = (ours.end as J).streams[0].udp;
    assert.ok(u.packets > 1000, `sent ${u.packets} datagrams`);
    // iperf3 stops counting at TEST_END, so the last datagrams may still be in flight.
    assert.ok(
      theirs.end.sum.packets <= u.packets && theirs.end.sum.packets >= u.packets * 0.98,
      `iperf3 saw sequence numbers up to ${theirs.end.sum.packets} of ${u.packets}`,
    );
    assert.equal(u.lost_packets, theirs.end.sum.lost_packets);
    assert.ok(u.jitter_ms >= 0 && u.jitter_ms < 50);
    assert.equal((ours.end as J).sum_received.bytes, theirs.end.sum_received.bytes);
  } finally {
    srv.kill();
  }
});

test('our UDP client -R -P 2 against iperf3 -s: we measure loss and jitter', async () => {
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
      protocol: 'udp',
      bitrate: 10_000_000,
      reverse: true,
      parallel: 2,
      udp64: true,
    });
    await srv.exited;
    const theirs = JSON.parse(srv.stdout()) as J;
    const e = ours.end as J;
    assert.equal(e.streams.length, 2);
    assert.equal(e.sum_sent.bytes, theirs.end.sum_sent.bytes);
    assert.ok(e.sum_received.packets > 0);
    assert.ok(e.sum_received.packets <= theirs.end.sum_sent.packets + 2);
  } finally {
    srv.kill();
  }
});

async function realClient(args: string[]) {
  const { theirs, ours } = await iperf3AgainstOurs(['-u', ...args]);
  return { theirs, ours: ours.end as J };
}

test('iperf3 -c -u against our server: loss, jitter and totals come from our receiver', async () => {
  const { theirs, ours } = await realClient(['-b', '20M', '-l', '1400']);
  assert.ok(
    ours.sum_received.packets <= theirs.end.sum.packets &&
      ours.sum_received.packets >= theirs.end.sum.packets * 0.98,
  );
  assert.equal(theirs.end.sum.lost_packets, ours.sum.lost_packets);
  assert.ok(
    Math.abs(theirs.end.sum.jitter_ms - ours.sum.jitter_ms) < 1e-6,
    'jitter crosses the wire in seconds and is shown in ms',
  );
  assert.equal(theirs.end.sum_received.bytes, ours.sum_received.bytes);
  assert.ok(theirs.end.sum.packets > 1000);
});

test('iperf3 -c -u -R and --bidir against our server', async () => {
  const r1 = await realClient(['-b', '10M', '-R']);
  assert.equal(r1.theirs.end.sum_sent.bytes, r1.ours.sum_sent.bytes);
  assert.ok(r1.theirs.end.sum.packets > 0);
  const r2 = await realClient(['-b', '5M', '--bidir', '--udp-counters-64bit']);
  assert.ok(r2.theirs.end.sum_received_bidir_reverse.bytes > 0);
  assert.equal(r2.theirs.end.sum_received.bytes, r2.ours.sum_received.bytes);
});

test('default UDP length is the control connection MSS, as iperf3 picks it (both directions agree)', async () => {
  // What a real iperf3 client chooses here, seen by our server ...
  const { ours: theirChoice } = await iperf3AgainstOurs(['-u', '-b', '1M']);
  const b = (theirChoice.start as J).test_start.blksize;
  // ... and what our client chooses, seen by a real iperf3 server.
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-J', '-p', String(port), '-B', '127.0.0.1'],
    null,
    400,
  );
  try {
    const warnings: string[] = [];
    const ours = await runClient({
      host: '127.0.0.1',
      port,
      duration: 1,
      protocol: 'udp',
      onEvent: (e) => {
        if (e.type === 'warning') warnings.push(e.message);
      },
    });
    await srv.exited;
    const theirs = JSON.parse(srv.stdout()) as J;
    assert.equal((ours.start as J).test_start.blksize, b);
    assert.equal(theirs.start.test_start.blksize, b, 'iperf3 received the same len');
    assert.ok(b > 1460, `loopback MSS is above Ethernet's (${b})`);
    assert.deepEqual(warnings, []);
    assert.equal((ours.end as J).sum_received.bytes % b, 0, 'every datagram has that size');
  } finally {
    srv.kill();
  }
  // An explicit -l above the MSS is kept, with iperf3's warning.
  const port2 = await freePort();
  const srv2 = await startPeer(
    'iperf3',
    ['-s', '-1', '-p', String(port2), '-B', '127.0.0.1'],
    null,
    400,
  );
  try {
    const warnings: string[] = [];
    const r = await runClient({
      host: '127.0.0.1',
      port: port2,
      duration: 1,
      protocol: 'udp',
      len: b + 100,
      onEvent: (e) => {
        if (e.type === 'warning') warnings.push(e.message);
      },
    });
    assert.equal((r.start as J).test_start.blksize, b + 100);
    assert.match(warnings.join('\n'), new RegExp(`UDP block size ${b + 100} exceeds TCP MSS ${b}`));
  } finally {
    srv2.kill();
  }
});
