/**
 * iperf3 client habits against the real iperf3 3.12 server on loopback: -B, --cport (the server's
 * view of the client's address and ports), -f units (layout as the real client's), --dscp/-S
 * (sent to the server as TOS; marks on the wire in dscp.test.ts), -Z, -A.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { freePort, requireBinary, run, startPeer, type J } from './helpers.js';
import { formatUnit } from '../../src/iperf/units.js';

const hostops = new URL('../../bin/hostops.js', import.meta.url).pathname;
// client ports below the ephemeral range (32768-60999), so no other socket holds them
const CPORT = 21000 + (process.pid % 500) * 8;

/** Our client with args against a one-off real iperf3 server (-J); both outputs. */
async function againstReal(
  args: string[],
): Promise<{ server: J; ours: Awaited<ReturnType<typeof run>> }> {
  requireBinary('iperf3');
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-J', '-p', String(port), '-B', '127.0.0.1'],
    null,
    400,
  );
  try {
    const ours = await run(process.execPath, [
      hostops,
      'iperf',
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      '1',
      ...args,
    ]);
    assert.equal(ours.status, 0, ours.stderr);
    await srv.exited;
    return { server: JSON.parse(srv.stdout()) as J, ours };
  } finally {
    srv.kill();
  }
}

test('-B 127.0.0.2 --cport P -P 2: the real server sees 127.0.0.2 ports P and P+1 (TCP and UDP)', async () => {
  for (const udp of [[], ['-u']]) {
    const cport = CPORT + (udp.length ? 4 : 0);
    const { server, ours } = await againstReal([
      ...udp,
      '-P',
      '2',
      '-B',
      '127.0.0.2',
      '--cport',
      String(cport),
    ]);
    const conn = (server.start.connected as J[]).map((c) => `${c.remote_host}:${c.remote_port}`);
    assert.deepEqual(conn, [`127.0.0.2:${cport}`, `127.0.0.2:${cport + 1}`], udp.join(' '));
    assert.match(
      ours.stdout,
      new RegExp(`local 127\\.0\\.0\\.2 port ${cport} connected to 127\\.0\\.0\\.1`),
    );
    // the control connection is bound to -B as well: the server's log names only 127.0.0.2
    assert.equal(server.start.accepted_connection.host, '127.0.0.2');
  }
});

test('-f: the bitrate column in the fixed unit, laid out as the real iperf3 client lays it out', async () => {
  assert.equal(formatUnit(125e6, 'm'), '1000 Mbit');
  assert.equal(formatUnit(125e6, 'g'), '1.00 Gbit');
  assert.equal(formatUnit(125e6, 't'), '0.00 Tbit');
  assert.equal(formatUnit(125e6, 'k'), '1000000 Kbit');
  assert.equal(formatUnit(125e6, 'M'), ' 119 MByte');
  assert.equal(formatUnit(125e6, 'T'), '0.00 TByte');
  const shape = (s: string) =>
    s
      .split('\n')
      .filter((l) => /^\[/.test(l) && !/ID\]/.test(l) && !/connected/.test(l))
      // Transfer and Cwnd stay adaptive under -f (as in iperf3): their unit follows the amount moved,
      // which differs between two runs (941 MBytes in one, 1.36 GBytes in the next)
      .map((l) =>
        l
          .replace(/\d+(\.\d+)?/g, 'N')
          .replace(/ [KMGT]?Bytes(?!\/sec)/g, ' XBytes')
          .replace(/ +/g, ' '),
      );
  for (const f of ['K', 'm']) {
    const { ours } = await againstReal(['-f', f, '-i', '0']);
    const port = await freePort();
    const srv = await startPeer(
      'iperf3',
      ['-s', '-1', '-p', String(port), '-B', '127.0.0.1'],
      null,
      400,
    );
    const ref = await run('iperf3', [
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      '1',
      '-f',
      f,
      '-i',
      '0',
    ]);
    srv.kill();
    const unit = f === 'K' ? 'KBytes/sec' : 'Mbits/sec';
    const rows = ours.stdout
      .split('\n')
      .filter((l) => /sec /.test(l) || / (sender|receiver)$/.test(l));
    assert.ok(rows.length >= 2 && rows.every((l) => l.includes(` ${unit}`)), ours.stdout);
    assert.deepEqual(
      shape(ours.stdout),
      shape(ref.stdout),
      `-f ${f}\n${ours.stdout}\n${ref.stdout}`,
    );
  }
  const bad = await run(process.execPath, [hostops, 'iperf', '-c', '127.0.0.1', '-f', 'x']);
  assert.equal(bad.status, 2);
});

test('--dscp and -S: sent to the server as TOS (it marks what it sends; dscp.test.ts sees the marks on the wire)', async () => {
  const { server } = await againstReal(['-R', '--dscp', 'ef']);
  assert.equal(server.start.test_start.tos, 46 << 2);
  const s = await againstReal(['-R', '-S', '0x20']);
  assert.equal(s.server.start.test_start.tos, 0x20);
  const fwd = await againstReal(['--dscp', 'af41']);
  assert.equal(fwd.server.start.test_start.tos, 34 << 2);
  const both = await run(process.execPath, [
    hostops,
    'iperf',
    '-c',
    '127.0.0.1',
    '-p',
    '9',
    '--dscp',
    'af41',
    '-S',
    '4',
  ]);
  assert.equal(both.status, 2);
  const badName = await run(process.execPath, [
    hostops,
    'iperf',
    '-c',
    '127.0.0.1',
    '--dscp',
    'af44',
  ]);
  assert.equal(badName.status, 2);
});

test('-Z is accepted; -A n pins the process to core n (read back from /proc), a missing core is exit 3', async () => {
  const { ours } = await againstReal(['-Z']);
  assert.match(ours.stdout, /sender$/m);
  requireBinary('iperf3');
  const port = await freePort();
  const srv = await startPeer(
    'iperf3',
    ['-s', '-1', '-p', String(port), '-B', '127.0.0.1'],
    null,
    400,
  );
  try {
    const cl = spawn(
      process.execPath,
      [hostops, 'iperf', '-c', '127.0.0.1', '-p', String(port), '-t', '2', '-A', '0'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => cl.on('exit', r));
    let allowed = '';
    for (let i = 0; i < 60 && !/^0$/.test(allowed); i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        allowed =
          /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${cl.pid}/status`, 'utf8'))?.[1] ??
          '';
      } catch {
        break;
      }
    }
    assert.equal(allowed, '0');
    assert.equal(await exited, 0);
  } finally {
    srv.kill();
  }
  const none = await run(process.execPath, [
    hostops,
    'iperf',
    '-c',
    '127.0.0.1',
    '-p',
    '9',
    '-A',
    '4095',
  ]);
  assert.equal(none.status, 3, none.stderr);
  assert.match(none.stderr, /unable to set CPU affinity/);
});
