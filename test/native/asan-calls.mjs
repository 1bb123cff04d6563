// Real calls through every addon, for a sanitizer build (test/native/fuzz.test.ts runs this under
// node with libasan preloaded). Plain JS so that it needs no loader: node asan-calls.mjs ADDON_DIR
// WORK_DIR [ROUNDS] [SECTIONS]. Traffic stays on loopback. Prints one JSON line of counts; any sanitizer
// report aborts the process, any wrong answer throws (exit 1).
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const [dir, work, roundsArg] = process.argv.slice(2);
const ROUNDS = Number(roundsArg ?? 300);
const load = (n) => require(path.resolve(dir, `${n}.node`));
const counts = {};
const count = (k, n = 1) => {
  counts[k] = (counts[k] ?? 0) + n;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let rng = 0x2545f491;
const rand = (n) => {
  rng ^= rng << 13;
  rng >>>= 0;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  rng >>>= 0;
  return rng % n;
};
const randBytes = (n) => Buffer.from(Array.from({ length: n }, () => rand(256)));
const throwsCode = (fn, code) => {
  try {
    fn();
  } catch (e) {
    assert.equal(e.code, code, e.message);
    return;
  }
  assert.fail(`expected ${code}`);
};

async function freePort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  s.close();
  return p;
}

// ---- hostops_spool: mainlog scanner, spool listing, batch reads, index verify ----
async function spool() {
  const a = load('hostops_spool');
  const lines = [
    '2024-01-01 00:00:00.', // issue 11.1: a line cut after the stamp
    'xxxxxxxxx-xxxxxx-xx <= xxxxxxxxxxxxxxxxx',
    '2026-11-24 10:00:00.123 +0100 [1234] 1xVwEz-0001T5-2H <= a@x.example H=(helo) [192.0.2.1]:25 P=esmtpa A=dovecot_login:info@x.example S=1 T="a \\" for x" for r@y.example s@y.example',
    '2026-11-24 10:00:01 1xVwEz-0001T6-2H <= <> R=1xVwEz-0001T5-2H U=Debian-exim P=local S=1 for a@b',
    '2026-11-24 10:00:02 cwd=/home/alice/public_html 3 args: /usr/sbin/sendmail -t -i',
    '2026-11-24 10:00:03 cwd=/var/spool/exim4 4 args: exim -Mc 1xVwEz-0001T5-2H',
  ];
  const base = Buffer.from(lines.join('\n') + '\n', 'latin1');
  for (let i = 0; i < ROUNDS; i++) {
    const b = Buffer.from(base);
    for (let k = rand(8); k > 0; k--)
      b[rand(b.length)] = [10, 32, 45, 46, 60, 61, rand(256)][rand(7)];
    const cut = b.subarray(0, rand(b.length + 1));
    const h = a.mlNew({
      spoolDirs: ['/var/spool/exim4'],
      maxSamples: rand(80),
      scriptsOnly: rand(2) === 1,
    });
    // whole lines per chunk, as mainlog-native.ts feeds them
    let s = 0;
    for (let j = 0; j < cut.length; j++)
      if (cut[j] === 10 && rand(3) === 0) {
        a.mlFeed(h, cut, s, j + 1);
        s = j + 1;
      }
    a.mlFeed(h, cut, s, cut.length);
    a.mlResult(h);
    count('spool.mainlog');
  }
  throwsCode(() => a.mlFeed(a.mlNew({ spoolDirs: [] }), base, 0, base.length + 1), undefined);
  throwsCode(() => a.mlFeed(a.mlNew({ spoolDirs: [] }), base, NaN, NaN), undefined);
  a.mlResult(a.mlNew({ spoolDirs: 'not an array', since: 5, maxSamples: 'x', scriptsOnly: 'y' }));
  a.mlResult(a.mlNew({ spoolDirs: [1, null, '/var/spool/exim4'] }));

  // an empty spool (the usual case): no entry array at all
  const empty = path.join(work, 'empty', 'input');
  fs.mkdirSync(path.join(empty, 'A'), { recursive: true });
  const sc0 = a.scan(empty);
  assert.equal(sc0.count, 0);
  assert.equal((await a.readBatch(sc0.handle, 0, 0, 2)).meta.length, 0);
  assert.equal(await a.verify(empty, Buffer.alloc(0), new Float64Array(0), 0), true);
  assert.equal((await a.verify(empty, Buffer.alloc(0), new Float64Array(0), 0, true)).length, 0);
  throwsCode(() => a.readBatch(sc0.handle, NaN, NaN, 2), undefined);
  throwsCode(() => a.readBatch(sc0.handle, 0, 1, 2), undefined);
  await assert.rejects(async () => a.verify(empty, Buffer.alloc(0), new Float64Array(4), NaN));
  a.release(sc0.handle);
  count('spool.readBatch');

  // a spool of hostile entries: FIFO, symlinks, a directory, an oversized sparse file, garbage
  const input = path.join(work, 'spool', 'input');
  fs.mkdirSync(path.join(input, 'A'), { recursive: true });
  const id = (i) => `1xVwEz-${String(i).padStart(4, '0')}TA-2H`;
  execFileSync('mkfifo', [path.join(input, id(1) + '-H')]);
  fs.symlinkSync('/dev/zero', path.join(input, id(2) + '-H'));
  fs.mkdirSync(path.join(input, id(3) + '-H'));
  fs.writeFileSync(path.join(input, id(4) + '-H'), '');
  fs.truncateSync(path.join(input, id(4) + '-H'), 64 * 1024 * 1024 + 1);
  execFileSync('mkfifo', [path.join(input, 'A', id(5) + '-J')]);
  fs.writeFileSync(path.join(input, 'A', id(5) + '-H'), 'x');
  for (let i = 6; i < 40; i++)
    fs.writeFileSync(
      path.join(input, (rand(2) ? 'A/' : '') + id(i) + '-H'),
      randBytes(rand(70000)),
    );
  fs.writeFileSync(path.join(input, id(6) + '-J'), randBytes(100));
  const sc = a.scan(input);
  assert.equal(sc.count, 39);
  const r = await a.readBatch(sc.handle, 0, sc.count, 2);
  assert.equal(r.meta.length, sc.count * a.FIELDS);
  const errs = new Set();
  for (let i = 0; i < sc.count; i++)
    if (r.meta[i * a.FIELDS + 2]) errs.add(r.meta[i * a.FIELDS + 2]);
  assert.ok(
    errs.size >= 3,
    `FIFO, symlink, directory and oversized entries are errors: ${[...errs]}`,
  );
  const pick = new Uint32Array(Array.from({ length: 10 }, () => rand(sc.count)));
  await a.readBatch(sc.handle, 2, 10, 1, pick);
  count('spool.readBatch', 2);
  assert.equal(a.count(input), 39);
  // verify: the list comes from the index file on disk, so any bytes (issue 11.2: a subdirectory
  // byte above 127 indexed subfd[128] out of bounds)
  for (let i = 0; i < ROUNDS; i++) {
    const rows = 1 + rand(20);
    const parts = [];
    for (let k = 0; k < rows; k++) {
      const c = rand(4);
      if (c === 0)
        parts.push(Buffer.from([rand(256), 47, ...Buffer.from(id(6 + rand(30)) + '-H')]));
      else if (c === 1) parts.push(randBytes(rand(40)));
      else parts.push(Buffer.from((rand(2) ? 'A/' : '') + id(6 + rand(30)) + '-H'));
    }
    const list = Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')])).subarray(
      0,
      rand(2) ? undefined : rand(200),
    );
    const expect = new Float64Array(rows * 4).map(() => rand(3) - 1);
    await a.verify(input, list, expect, rows, rand(2) === 1);
    count('spool.verify');
  }
  a.release(sc.handle);
  await a.readBatch(sc.handle, 0, 3, 1); // after release: EBADF per entry, no crash
  // release() while a batch is still reading (JS gave up on its read-ahead): the directories stay
  // open until that batch is done, then close (their numbers must not be reused under it)
  const input2 = path.join(work, 'spool2', 'input');
  fs.mkdirSync(input2, { recursive: true });
  for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(input2, id(i) + '-H'), `${i}-H\n`);
  const sc2 = a.scan(input2);
  const inflight = a.readBatch(sc2.handle, 0, sc2.count, 2);
  a.release(sc2.handle);
  const r2 = await inflight;
  for (let i = 0; i < sc2.count; i++)
    assert.equal(r2.meta[i * a.FIELDS + 2], 0, `entry ${i} read although release() came first`);
  const r3 = await a.readBatch(sc2.handle, 0, 1, 1);
  assert.equal(r3.meta[2], 9, 'closed once the batch completed (EBADF)');
  count('spool.readBatch', 2);
}

// ---- hostops_scan: scanner and test responder on loopback ----
async function scan() {
  const a = load('hostops_scan');
  const port = await freePort();
  const loop = 0x7f000001;
  // issue 11.2: matchOff near 2^32 made 'len < off + len' wrap and memcmp read 4 GB away
  const rh = a.responderStart([
    {
      port,
      lo: loop,
      hi: loop,
      match: Buffer.from('zzzzzzzzzzzzzzzz'),
      matchOff: 0xfffffff8,
      replies: [Buffer.from('never')],
    },
    {
      port,
      lo: loop,
      hi: loop,
      match: Buffer.from('hi'),
      matchOff: 0,
      echo: 2,
      replies: [Buffer.from('hi there'), Buffer.alloc(1400, 1)],
    },
  ]);
  let got = 0;
  const { handle, port: sport } = a.open((buf, n) => {
    got += n;
    assert.equal(buf.length, n * a.RECORD_SIZE);
  });
  assert.ok(sport > 0);
  a.setPayloads(handle, [Buffer.from('hi, responder'), Buffer.alloc(0), randBytes(1400)]);
  throwsCode(() => a.setPayloads(handle, [Buffer.alloc(1401)]), undefined);
  const dsts = Buffer.alloc(8 * 30);
  for (let i = 0; i < 30; i++) {
    dsts.writeUInt32BE(loop, i * 8);
    dsts.writeUInt16BE(port, i * 8 + 4);
    dsts.writeUInt16BE(0, i * 8 + 6);
  }
  a.setPayloads(handle, [Buffer.from('hi, responder')]);
  let sent = 0;
  for (let t = 0; t < 50 && sent < 30; t++) {
    sent += a.send(handle, dsts, sent, 30 - sent);
    await sleep(10);
  }
  for (let t = 0; t < 200 && got < 60; t++) await sleep(10);
  assert.equal(got, 60, 'two replies to each of 30 probes');
  const bad = Buffer.from(dsts);
  bad.writeUInt16BE(9, 6);
  throwsCode(() => a.send(handle, bad, 0, 1), undefined);
  const st = a.stats(handle);
  assert.equal(st.received, 60);
  a.close(handle);
  await sleep(20); // libuv frees the scanner on a later loop turn
  // issue 11.2: the handle pointed at freed memory after close
  throwsCode(() => a.stats(handle), 'ECLOSED');
  throwsCode(() => a.send(handle, dsts, 0, 1), 'ECLOSED');
  a.close(handle);
  const rs = a.responderStop(rh);
  assert.equal(rs.received, 30);
  throwsCode(() => a.responderStop(rh), 'ECLOSED');
  count('scan.calls', 12);
}

// ---- hostops_probe: UDP probe to a closed port (ICMP error via the error queue), raw ICMP echo ----
async function probe() {
  const a = load('hostops_probe');
  const cookie = Buffer.from('hostops1');
  const events = [];
  const slots = new Float64Array(25 * 8);
  const cb = (n) => {
    for (let i = 0; i < n; i++) events.push(Array.from(slots.subarray(i * 25, i * 25 + 16)));
  };
  const udp = a.open(3, 4, cookie, slots, cb, 1);
  const closed = await freePort();
  for (let i = 0; i < 5; i++)
    assert.ok(a.sendUdp(udp, '127.0.0.1', closed, 64, 0, 100 + i, 32, i) >= 0);
  const raw = a.open(1, 4, cookie, slots, cb, 0);
  for (let i = 0; i < 5; i++) assert.ok(a.sendEcho(raw, '127.0.0.1', 64, 0, 0x4242, i, 56, i) >= 0);
  const tcp = a.open(4, 4, cookie, slots, cb, 0);
  const srv = net.createServer((c) => c.destroy());
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  assert.ok(a.sendTcpSyn(tcp, '127.0.0.1', srv.address().port, 64, 0, 40000, 12345, 1) >= 0);
  for (let t = 0; t < 200 && events.filter((e) => e[0] === 2).length < 5; t++) await sleep(10);
  assert.ok(
    events.some((e) => e[0] === 2 && e[8] === 1),
    'port unreachable for our UDP probe',
  );
  assert.ok(
    events.some((e) => e[0] === 1 && e[8] === 1),
    'echo reply carrying our cookie',
  );
  throwsCode(() => a.sendEcho(raw, 'not an address', 64, 0, 1, 1, 8, 0), 'EINVAL');
  for (const h of [udp, raw, tcp]) {
    a.close(h);
    a.close(h);
    throwsCode(() => a.localId(h), 'ECLOSED');
  }
  // closed from inside its own event callback (a ping that ends on its last reply)
  let self = null,
    seen = 0;
  const slots2 = new Float64Array(25);
  self = a.open(
    1,
    4,
    cookie,
    slots2,
    () => {
      seen++;
      a.close(self);
    },
    0,
  );
  for (let i = 0; i < 3; i++) a.sendEcho(self, '127.0.0.1', 64, 0, 0x4243, i, 8, i);
  for (let t = 0; t < 100 && !seen; t++) await sleep(10);
  await sleep(20);
  assert.equal(seen, 1, 'no callback after close');
  // source address, interface and fwmark (transit feeds): every kind, then the errors that name them
  for (const kind of [1, 3, 4]) {
    // ICMP datagram sockets need ping_group_range, not set here
    const h = a.open(kind, 4, cookie, slots, cb, 0, '127.0.0.1', 'lo', 7);
    assert.ok(
      (kind === 3
        ? a.sendUdp(h, '127.0.0.1', closed, 64, 0, 1, 32, 0)
        : kind === 4
          ? a.sendTcpSyn(h, '127.0.0.1', srv.address().port, 64, 0, 40001, 1, 0)
          : a.sendEcho(h, '127.0.0.1', 64, 0, 0x4244, 1, 8, 0)) >= 0,
    );
    a.close(h);
    count('probe.bound');
  }
  throwsCode(() => a.open(1, 4, cookie, slots, cb, 0, '', 'nosuch0', -1), 'ENODEV');
  throwsCode(() => a.open(3, 4, cookie, slots, cb, 0, '198.18.250.1', '', -1), 'EADDRNOTAVAIL');
  throwsCode(() => a.open(1, 4, cookie, slots, cb, 0, 'x'.repeat(200), '', -1), 'EINVAL');
  throwsCode(() => a.open(1, 4, cookie, slots, cb, 0, '', 'x'.repeat(40), -1), 'ENODEV');
  assert.equal(a.sourceFor(4, '127.0.0.1', '', 'lo', 3), '127.0.0.1');
  throwsCode(() => a.sourceFor(4, 'nonsense', '', '', -1), 'EINVAL');
  srv.close();
  count('probe.events', events.length);
}

// ---- hostops_sock: the iperf3 UDP receive path and TCP options ----
async function sock() {
  const a = load('hostops_sock');
  const rx = dgram.createSocket('udp4');
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  const h = a.udpRxOpen(rx._handle.fd, true);
  rx._handle.recvStop();
  a.udpRxCounting(h, true);
  const tx = dgram.createSocket('udp4');
  for (let i = 0; i < 50; i++) {
    const d = randBytes(16 + rand(1400));
    d.writeUInt32BE(1764900000, 0);
    if (i % 7) d.writeBigUInt64BE(BigInt(i % 13 ? i : 2 ** 63 + i), 8);
    await new Promise((r) => tx.send(d, rx.address().port, '127.0.0.1', r));
  }
  await sleep(100);
  const out = new Float64Array(8);
  a.udpRxRead(h, out);
  assert.ok(out[5] >= 1, `datagrams counted: ${out[5]}`);
  a.udpRxCounting(h, false);
  a.udpRxClose(h);
  a.udpRxClose(h);
  throwsCode(() => a.udpRxRead(h, out), 'ECLOSED');
  tx.close();
  rx.close();
  const srv = net.createServer(() => {});
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const c = net.connect(srv.address().port, '127.0.0.1');
  await new Promise((r) => c.on('connect', r));
  const fd = c._handle.fd;
  a.setBuffers(fd, 1 << 20);
  a.getBuffers(fd);
  a.getCongestion(fd);
  assert.ok(a.getMss(fd) > 0);
  assert.equal(a.tcpInfo(fd, new Float64Array(8)), true);
  a.probeTcp(65536, null);
  throwsCode(() => a.setCongestion(fd, 'x'.repeat(16)), 'EINVAL');
  assert.equal(a.setTos(fd, 0xb8), 0xb8);
  throwsCode(() => a.setTos(fd, 256), 'EINVAL');
  throwsCode(() => a.getBuffers(99999), 'EBADF');
  c.destroy();
  // --bind-dev / --fwmark: an unconnected TCP socket made here, marked, then connected by Node
  const bfd = a.tcpSocket(4);
  a.bindDevice(bfd, 'lo', 9);
  const b = new net.Socket({ fd: bfd });
  await new Promise((r, j) => {
    b.connect(srv.address().port, '127.0.0.1', r);
    b.on('error', j);
  });
  throwsCode(() => a.bindDevice(b._handle.fd, 'nosuch0', -1), 'ENODEV');
  throwsCode(() => a.bindDevice(b._handle.fd, 'x'.repeat(20), -1), 'EINVAL');
  b.destroy();
  srv.close();
  count('sock.calls', 18);
}

// ---- hostops_raw: one spoofed-source datagram on loopback ----
async function raw() {
  const a = load('hostops_raw');
  const rx = dgram.createSocket('udp4');
  const got = new Promise((r) => rx.on('message', (m) => r(m)));
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  const fd = a.open(4);
  assert.equal(
    a.sendUdp(fd, '127.0.0.1', '127.0.0.1', 40000, rx.address().port, Buffer.from('raw'), 64),
    31,
  );
  throwsCode(() => a.sendUdp(fd, '127.0.0.1', '::1', 1, 1, Buffer.alloc(1)), 'EINVAL');
  assert.equal((await got).toString(), 'raw');
  a.close(fd);
  rx.close();
  count('raw.calls', 3);
}

// argv[5]: a comma-separated subset of the sections (all by default)
const only = process.argv[5] ? new Set(process.argv[5].split(',')) : null;
for (const [name, fn] of Object.entries({ spool, scan, probe, sock, raw }))
  if (!only || only.has(name)) await fn();
console.log(JSON.stringify({ ok: true, ...counts }));
