/**
 * TCP interoperability with Debian's iperf3 3.12 in both directions: our client against
 * `iperf3 -s`, `iperf3 -c` against our server; byte counts must agree between the two ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClient, startServer } from '../../src/iperf/index.js';
import { freePort, requireBinary, run, startPeer, iperf3AgainstOurs, type J } from './helpers.js';

requireBinary('iperf3');

async function againstRealServer(opts: Parameters<typeof runClient>[0] extends infer O ? Omit<O & object, 'host' | 'port'> : never) {
  const port = await freePort();
  const srv = await startPeer('iperf3', ['-s', '-1', '-J', '-p', String(port), '-B', '127.0.0.1'], null, 400);
  try {
    const ours = await runClient({ host: '127.0.0.1', port, duration: 1, ...opts });
    await srv.exited;
    const theirs = JSON.parse(srv.stdout()) as J;
    return { ours, theirs };
  } finally {
    srv.kill();
  }
}

test('our client against iperf3 -s: single TCP stream, byte counts agree', async () => {
  const { ours, theirs } = await againstRealServer({});
  assert.equal(theirs.error, undefined);
  const e = ours.end as J;
  assert.ok(e.sum_sent.bytes > 0);
  assert.equal(e.sum_received.bytes, theirs.end.sum_received.bytes, 'what iperf3 says it received is what we report as received');
  assert.equal((ours.start as J).test_start.protocol, 'TCP');
  assert.ok(ours.intervals.length >= 1);
  for (const k of ['host_total', 'host_user', 'host_system', 'remote_total', 'remote_user', 'remote_system']) {
    assert.equal(typeof (e.cpu_utilization_percent as J)[k], 'number');
  }
});

test('our client against iperf3 -s: -P 3 uses stream ids 1,3,4 and -R moves data server to client', async () => {
  const { ours, theirs } = await againstRealServer({ parallel: 3, reverse: true });
  assert.equal(theirs.error, undefined);
  assert.equal((ours.end as J).streams.length, 3);
  // iperf3 -s -J prints before the results exchange, so only its own direction is in its report.
  assert.equal((ours.end as J).sum_sent.bytes, theirs.end.sum_sent.bytes, 'server-sent bytes agree');
  assert.ok((ours.end as J).sum_received.bytes > 0);
  assert.equal((ours.end as J).sum_sent.sender, false);
});

test('our client against iperf3 -s: --bidir reports both directions', async () => {
  const { ours, theirs } = await againstRealServer({ bidir: true });
  assert.equal(theirs.error, undefined);
  const e = ours.end as J;
  assert.ok(e.sum_sent.bytes > 0 && e.sum_sent_bidir_reverse.bytes > 0);
  assert.equal(e.sum_received.bytes, theirs.end.sum_received.bytes);
  assert.equal(e.sum_sent_bidir_reverse.bytes, theirs.end.sum_sent_bidir_reverse.bytes);
  assert.ok(ours.intervals.every((iv) => 'sum_bidir_reverse' in iv));
});

test('our client with -n stops at the byte count', async () => {
  const { ours, theirs } = await againstRealServer({ bytes: 64 * 1024 * 1024, duration: 0 });
  assert.equal(theirs.error, undefined);
  assert.equal((ours.end as J).sum_sent.bytes, 64 * 1024 * 1024);
});


test('iperf3 -c against our server: TCP, counts agree', async () => {
  const { theirs, ours } = await iperf3AgainstOurs([]);
  assert.equal(theirs.end.sum_received.bytes, (ours.end as J).sum_received.bytes, 'iperf3 shows what our server counted');
  assert.equal(theirs.end.sum_sent.bytes, (ours.end as J).sum_sent.bytes);
  assert.ok(theirs.end.sum_received.bytes > 0);
});

test('iperf3 -c -P 2 -R against our server', async () => {
  const { theirs, ours } = await iperf3AgainstOurs(['-P', '2', '-R']);
  assert.equal(theirs.end.streams.length, 2);
  assert.equal(theirs.end.sum_sent.bytes, (ours.end as J).sum_sent.bytes, 'iperf3 shows what our server sent');
  assert.equal(theirs.end.sum_received.bytes, (ours.end as J).sum_received.bytes);
});

test('iperf3 -c --bidir against our server', async () => {
  const { theirs, ours } = await iperf3AgainstOurs(['--bidir']);
  const o = ours.end as J;
  assert.equal(theirs.end.sum_sent.bytes, o.sum_sent.bytes);
  assert.equal(theirs.end.sum_received.bytes, o.sum_received.bytes);
  assert.equal(theirs.end.sum_received_bidir_reverse.bytes, o.sum_received_bidir_reverse.bytes);
  assert.ok(theirs.end.sum_received_bidir_reverse.bytes > 0);
});

test('iperf3 -c --get-server-output receives our server text', async () => {
  const { theirs } = await iperf3AgainstOurs(['--get-server-output']);
  assert.match(String(theirs.server_output_text), /Accepted connection from 127\.0\.0\.1, port \d+/);
  assert.match(String(theirs.server_output_text), /receiver/);
});

test('iperf3 -c --get-server-output against our server in -J mode receives server_output_json', async () => {
  const port = await freePort();
  const srv = await startServer({ port, host: '127.0.0.1', json: true });
  try {
    const r = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-J', '-t', '1', '--get-server-output']);
    const j = JSON.parse(r.stdout) as J;
    assert.equal(j.error, undefined);
    assert.equal(j.server_output_json.end.sum_received.bytes, j.end.sum_received.bytes);
    assert.equal(j.server_output_json.start.test_start.protocol, 'TCP');
  } finally {
    await srv.close();
  }
});
