import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { analyzeCapture } from '../../src/ddos/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { CaptureWriter, frame } from './lib/pcap-writer.js';
import { rng, writeScenario } from './lib/scenario.js';

const feed = (b: Buffer) =>
  analyzeCapture(Readable.from([b]), { name: 'mem', minPps: 1, minReflectors: 1 });
async function expectError(b: Buffer, code: string, offset?: number): Promise<HostopsError> {
  try {
    await feed(b);
  } catch (e) {
    assert.ok(e instanceof HostopsError, `expected HostopsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (offset !== undefined)
      assert.match(e.message, new RegExp(`byte offset ${offset}\\b`), e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const one = frame({ src: '198.18.1.1', dst: '198.18.2.2', sport: 123, dport: 80, payload: 440 });
function pcap(
  n: number,
  opts: ConstructorParameters<typeof CaptureWriter>[0] = { format: 'pcap' },
): Buffer {
  const w = new CaptureWriter(opts);
  for (let i = 0; i < n; i++) w.add(one, 100 + i);
  return w.toBuffer();
}

test('gzip-compressed captures are read; a cut gzip stream is a truncation, a damaged one an error', async () => {
  const plain = await feed(pcap(50));
  const z = gzipSync(pcap(50));
  const r = await feed(z);
  assert.equal(r.compressed, true);
  assert.equal(r.packets, 50);
  assert.deepEqual(
    r.victims.map((v) => v.packets),
    plain.victims.map((v) => v.packets),
  );
  const cut = await feed(z.subarray(0, Math.floor(z.length * 0.6)));
  assert.ok(cut.truncated, 'truncation reported');
  assert.ok(cut.packets > 0 && cut.packets < 50);
  const bad = Buffer.from(z);
  bad[bad.length - 8] ^= 1; // CRC
  await expectError(bad, 'DDOS_CAPTURE_GZIP');
});

test('unknown, empty and short inputs are named errors', async () => {
  await expectError(Buffer.from('hello world, not a capture'), 'DDOS_CAPTURE_BAD_MAGIC', 0);
  await expectError(Buffer.alloc(0), 'DDOS_CAPTURE_EMPTY');
  await expectError(pcap(0).subarray(0, 10), 'DDOS_CAPTURE_TRUNCATED');
  const bad = pcap(1);
  bad.writeUInt16LE(7, 4);
  await expectError(bad, 'DDOS_CAPTURE_BAD_VERSION', 4);
});

test('a truncated final record is reported and the results before it kept', async () => {
  const b = pcap(5);
  const cut = b.subarray(0, b.length - 100);
  const r = await feed(cut);
  assert.equal(r.packets, 4);
  assert.ok(r.truncated);
  const lastRecord = 24 + 4 * (16 + one.length);
  assert.equal(r.truncated.offset, lastRecord);
  assert.match(r.truncated.message, new RegExp(`byte offset ${lastRecord}`));
  const ng = writeScenario({ format: 'pcapng' });
  const rn = await feed(ng.subarray(0, ng.length - 3));
  assert.ok(rn.truncated && rn.packets > 10000);
});

test('hostile lengths are refused with the offset of the bad field', async () => {
  const huge = pcap(3);
  const rec2 = 24 + 16 + one.length;
  huge.writeUInt32LE(0xffffffff, rec2 + 8);
  await expectError(huge, 'DDOS_CAPTURE_BAD_RECORD', rec2);

  const ng = pcap(2, { format: 'pcapng' });
  // blocks: SHB (28), IDB, EPB...; find the first EPB
  const idbLen = ng.readUInt32LE(28 + 4);
  const epb = 28 + idbLen;
  const b1 = Buffer.from(ng);
  b1.writeUInt32LE(13, epb + 4);
  await expectError(b1, 'DDOS_CAPTURE_BAD_BLOCK', epb + 4);
  const b2 = Buffer.from(ng);
  b2.writeUInt32LE(5, epb + 8);
  await expectError(b2, 'DDOS_CAPTURE_BAD_BLOCK', epb + 8);
  const b3 = Buffer.from(ng);
  b3.writeUInt32LE(0x7fff, epb + 20);
  await expectError(b3, 'DDOS_CAPTURE_BAD_BLOCK', epb + 20);
  const b4 = Buffer.from(ng);
  const len = ng.readUInt32LE(epb + 4);
  b4.writeUInt32LE(len + 4, epb + len - 4);
  await expectError(b4, 'DDOS_CAPTURE_BAD_BLOCK', epb + len - 4);
  const b5 = Buffer.from(ng);
  b5.writeUInt32LE(0xdeadbeef, 8);
  await expectError(b5, 'DDOS_CAPTURE_BAD_MAGIC', 8);
});

test('fuzz: random and bit-flipped captures never crash (bounded)', async () => {
  const r = rng(42);
  const seeds = [
    pcap(20),
    pcap(20, { format: 'pcap-ns', bigEndian: true }),
    pcap(20, { format: 'pcapng', tsresol: 9 }),
    pcap(20, { format: 'pcapng', bigEndian: true }),
  ];
  const deadline = Date.now() + 20_000;
  let runs = 0,
    errors = 0;
  for (let i = 0; i < 1500 && Date.now() < deadline; i++) {
    const base = seeds[i % seeds.length];
    let b: Buffer;
    if (i % 10 === 0) {
      b = Buffer.alloc(Math.floor(r() * 400));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256);
      if (i % 20 === 0 && b.length >= 4) base.copy(b, 0, 0, 4); // keep a valid magic
    } else {
      b = Buffer.from(base);
      const flips = 1 + Math.floor(r() * 8);
      for (let j = 0; j < flips; j++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
      if (r() < 0.2) b = b.subarray(0, Math.floor(r() * b.length));
    }
    try {
      const rep = await analyzeCapture(
        Readable.from([b.subarray(0, b.length >> 1), b.subarray(b.length >> 1)]),
        { minPps: 1, minReflectors: 1 },
      );
      assert.ok(rep.packets >= 0);
    } catch (e) {
      if (!(e instanceof HostopsError))
        throw new Error(
          `fuzz case ${i} crashed: ${String((e as Error).stack)}; input ${b.toString('hex').slice(0, 200)}`,
        );
      assert.match(e.message, /byte offset \d+|empty/);
      errors++;
    }
    runs++;
  }
  assert.ok(runs >= 200, `ran ${runs} cases`);
  assert.ok(errors > 0 && errors < runs);
});

test('a directory given as the capture is a named input error (exit 2), not an internal error', async () => {
  const dir = (await import('node:os')).tmpdir();
  await assert.rejects(
    analyzeCapture(dir),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'DDOS_CAPTURE_UNREADABLE' &&
      e.exitCode === 2 &&
      e.where === `${dir}: byte offset 0`,
  );
});
