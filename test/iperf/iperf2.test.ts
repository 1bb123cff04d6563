/** iperf 2 mode against Debian's iperf 2.1.8, plain TCP, both directions; byte counts agree. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  runIperf2Client,
  startIperf2Server,
  type Iperf2Result,
} from '../../src/iperf/iperf2/index.js';
import { freePort, requireBinary, run, startPeer, waitListening } from './helpers.js';

requireBinary('iperf');

const GB = /\[SUM\] 0\.0000-\d+\.\d{4} sec\s+([\d.]+) (\w?)Bytes/;

test('our iperf2 client against iperf -s: the server counts what we sent', async () => {
  const port = await freePort();
  const srv = await startPeer(
    'iperf',
    ['-s', '-p', String(port), '-B', '127.0.0.1'],
    /Server listening/,
  );
  try {
    await waitListening(port);
    const lines: string[] = [];
    const res = await runIperf2Client({
      host: '127.0.0.1',
      port,
      duration: 1,
      parallel: 2,
      onLine: (l) => lines.push(l),
    });
    assert.equal(res.streams.length, 2);
    assert.ok(res.sum.bytes > 0);
    assert.match(lines.join('\n'), /Client connecting to 127\.0\.0\.1, TCP port \d+/);
    assert.match(lines.join('\n'), /\[ ID\] Interval       Transfer     Bandwidth/);
    await new Promise((r) => setTimeout(r, 500));
    const out = srv.stdout();
    const m = GB.exec(out);
    assert.ok(m, `iperf printed a [SUM] line: ${out}`);
    // iperf prints 3 significant digits; compare at that precision.
    const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as '' | 'K' | 'M' | 'G'];
    const theirs = Number(m[1]) * unit;
    assert.ok(
      Math.abs(theirs - res.sum.bytes) / res.sum.bytes < 0.01,
      `iperf counted ${theirs}, we sent ${res.sum.bytes}`,
    );
  } finally {
    srv.kill();
  }
});

test('iperf -c against our iperf2 server: per-stream and [SUM] counts', async () => {
  const port = await freePort();
  const results: Iperf2Result[] = [];
  const lines: string[] = [];
  const srv = await startIperf2Server({
    port,
    host: '127.0.0.1',
    onLine: (l) => lines.push(l),
    onResult: (r) => results.push(r),
  });
  try {
    const r = await run(
      'iperf',
      ['-c', '127.0.0.1', '-p', String(port), '-t', '1', '-P', '2'],
      15_000,
    );
    assert.equal(r.status, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(results.length, 1, lines.join('\n'));
    assert.equal(results[0].streams.length, 2);
    const m = GB.exec(r.stdout);
    assert.ok(m, r.stdout);
    const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as '' | 'K' | 'M' | 'G'];
    const theirs = Number(m[1]) * unit;
    assert.ok(
      Math.abs(theirs - results[0].sum.bytes) / theirs < 0.01,
      `iperf sent ${theirs}, we counted ${results[0].sum.bytes}`,
    );
    assert.match(
      lines.join('\n'),
      /Server listening on TCP port \d+\nTCP window size: .*\(default\)/,
    );
    assert.match(lines.join('\n'), /\[SUM\] 0\.0000-\d\.\d{4} sec/);
  } finally {
    await srv.close();
  }
});
