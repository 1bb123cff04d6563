/** The CLI edge: iperf3's text layout, -J on failure, usage errors, the server banner, iperf2 mode. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, requireBinary, run, startPeer, waitListening, type J } from './helpers.js';

requireBinary('iperf3');
requireBinary('iperf');
const hostops = (args: string[], ms = 20_000) =>
  run(process.execPath, ['bin/hostops.js', 'iperf', ...args], ms);

test('client text output has iperf3 3.12 layout', async () => {
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-p', String(port), '-B', '127.0.0.1'],
    null,
    400,
  );
  try {
    const r = await hostops(['-c', '127.0.0.1', '-p', String(port), '-t', '1']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `Connecting to host 127.0.0.1, port ${port}`);
    assert.match(
      lines[1],
      new RegExp(
        `^\\[  5\\] local 127\\.0\\.0\\.1 port \\d+ connected to 127\\.0\\.0\\.1 port ${port}$`,
      ),
    );
    // Retr and Cwnd come from the kernel's tcp_info (getsockopt TCP_INFO), as iperf3 shows them on Linux.
    assert.equal(lines[2], '[ ID] Interval           Transfer     Bitrate         Retr  Cwnd');
    // The interval ends when the timer fires: 1.00 on a quiet machine, a little later under load.
    assert.match(
      lines[3],
      /^\[  5\]   0\.00-1\.\d\d   sec  [ \d.]{4} [KMGT]?Bytes  [ \d.]{4} [KMGT]?bits\/sec  [ \d]{3}   [ \d.]{4} [KMGT]?Bytes {7}$/,
    );
    assert.ok(lines.includes('[ ID] Interval           Transfer     Bitrate         Retr'));
    assert.ok(lines.includes('- - - - - - - - - - - - - - - - - - - - - - - - -'));
    assert.ok(
      lines.some((l) =>
        /^\[  5\]   0\.00-1\.\d\d   sec  .*bits\/sec  [ \d]{3} {13}sender$/.test(l),
      ),
    );
    assert.ok(lines.some((l) => /^\[  5\]   0\.00-1\.\d\d   sec  .* receiver$/.test(l)));
    assert.equal(lines.at(-2), 'iperf Done.');
  } finally {
    srv.kill();
  }
});

test('-J against a closed port prints iperf3 error JSON and exits 1', async () => {
  const port = await freePort();
  const r = await hostops(['-c', '127.0.0.1', '-p', String(port), '-t', '1', '-J']);
  assert.equal(r.status, 1);
  const j = JSON.parse(r.stdout) as J;
  assert.equal(j.error, 'unable to connect to server: Connection refused');
  assert.deepEqual(j.intervals, []);
});

test('usage errors exit 2; an unavailable congestion algorithm exits 3', async () => {
  assert.equal((await hostops([])).status, 2);
  assert.equal((await hostops(['-c', '127.0.0.1', '-P', '0'])).status, 2);
  assert.equal(
    (await hostops(['-c', 'bad host;rm'])).status,
    2,
    'a host with spaces or shell characters is refused',
  );
  const port = await freePort();
  const r = await hostops(['-c', '127.0.0.1', '-p', String(port), '-C', 'no-such-cc', '-t', '1']);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /congestion/);
});

test('server text output: banner, accepted line, receiver summary', async () => {
  const port = await freePort();
  const srv = await startPeer(
    process.execPath,
    ['bin/hostops.js', 'iperf', '-s', '-1', '-p', String(port), '-B', '127.0.0.1'],
    /Server listening/,
  );
  try {
    const r = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '1']);
    assert.equal(r.status, 0, r.stderr);
    await srv.exited;
    const out = srv.stdout();
    assert.match(out, new RegExp(`^-{59}\\nServer listening on ${port} \\(test #1\\)\\n-{59}\\n`));
    assert.match(out, /Accepted connection from 127\.0\.0\.1, port \d+/);
    assert.match(out, /\[  5\]   0\.00-1\.\d\d   sec  .* receiver/);
  } finally {
    srv.kill();
  }
});

test('--iperf2 client talks to iperf 2.1.8', async () => {
  const port = await freePort();
  const srv = await startPeer(
    'iperf',
    ['-s', '-p', String(port), '-B', '127.0.0.1'],
    /Server listening/,
  );
  try {
    await waitListening(port);
    const r = await hostops(['--iperf2', '-c', '127.0.0.1', '-p', String(port), '-t', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Client connecting to 127\.0\.0\.1, TCP port \d+/);
    assert.match(r.stdout, /\[  1\] 0\.0000-1\.\d{4} sec  .*Bytes  .*bits\/sec/);
  } finally {
    srv.kill();
  }
});

test('iperf3 -c -u --bidir -b 300M against `hostops iperf -s`: every stream gets its reply before any data', async () => {
  // iperf3 3.12 in --bidir accepts nothing but "6789" as the first datagram of its receiving
  // stream. Our server used to start the test before replying to the last stream, so at high
  // rates its data came first: "unable to read from stream socket".
  const port = await freePort();
  const srv = await startPeer(
    process.execPath,
    ['bin/hostops.js', 'iperf', '-s', '-1', '-p', String(port), '-B', '127.0.0.1'],
    /Server listening/,
  );
  try {
    const r = await run('iperf3', [
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-u',
      '-b',
      '300M',
      '-l',
      '1400',
      '--bidir',
      '-t',
      '1',
      '-J',
    ]);
    const j = JSON.parse(r.stdout) as J;
    assert.equal(j.error, undefined);
    assert.ok(j.end.sum_received.bytes > 0 && j.end.sum_received_bidir_reverse.bytes > 0);
  } finally {
    srv.kill();
  }
});
