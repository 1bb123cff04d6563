/**
 * The dgram engine (plain Node sockets, the fallback without the native addon) must find every
 * responder: libuv reads at most 32 datagrams per loop turn, so sending faster than that let the
 * kernel drop replies (at a 200,000/s limit a /16 of DNS responders gave 3,640 of 65,536, what an
 * 8 MiB receive buffer holds). It now paces itself to what it reads and reports kernel drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Topology } from '../lib/netns.js';
import { ampTopology, startResponder, ROOT } from './topo.js';
import { rulesFor } from './fixtures/replies.js';
import { PROTOCOLS } from '../../src/amp/protocols.js';
import { udpDrops } from '../../src/amp/engine.js';

const ALL = PROTOCOLS.map((p) => p.name);

test('dgram engine finds every responder of a /16 at a rate limit above what it can read', async () => {
  const t = new Topology('ad');
  const dir = mkdtempSync(path.join(tmpdir(), 'hoa-dgram-'));
  try {
    const { scanner, responder } = ampTopology(t, 41, '198.19.0.0/16');
    // every address answers every protocol: 1,200-byte DNS answers, SSDP in 3 datagrams
    const rules = rulesFor('198.19.0.0', '198.19.255.255', ALL, 6);
    const resp = await startResponder(t, responder, rules);
    const scan = (range: string, protocols: string) => {
      const out = path.join(dir, 'report.json');
      // the report of a /16 is ~20 MB: through a file, not a pipe buffer
      t.exec(scanner, [
        'sh',
        '-c',
        `exec "$0" "$@" > ${out}`,
        process.execPath,
        '--import',
        'tsx',
        path.join(ROOT, 'test/amp/fixtures/run.ts'),
        JSON.stringify({ rate: 1_000_000, waitMs: 1000, engine: 'dgram', protocols, threshold: 0 }),
        range,
      ]);
      return JSON.parse(readFileSync(out, 'utf8'));
    };
    let st: { received: number; unmatched: number; sendErrors: number };
    try {
      const a = scan('198.19.0.0/16', 'dns');
      assert.equal(a.error, undefined, JSON.stringify(a.error));
      assert.equal(a.engine, 'dgram');
      assert.deepEqual([a.probes, a.sent, a.aborted], [65536, 65536, false]);
      const found = new Set(
        a.findings.filter((f: any) => f.replyPackets === 1).map((f: any) => f.address),
      );
      assert.equal(found.size, 65536);
      assert.equal(a.received, 65536);
      assert.equal(a.kernelDrops, 0);

      const b = scan('198.19.0.0/20', 'all');
      assert.equal(b.error, undefined, JSON.stringify(b.error));
      assert.deepEqual([b.probes, b.sent, b.kernelDrops], [49152, 49152, 0]);
      // 4096 addresses x (11 one-datagram answers + SSDP's 3)
      assert.equal(b.received, 4096 * 14);
      const perProto = new Map<string, number>();
      for (const f of b.findings)
        if (f.replyPackets > 0) perProto.set(f.protocol, (perProto.get(f.protocol) ?? 0) + 1);
      assert.deepEqual(
        ALL.map((p) => [p, perProto.get(p)]),
        ALL.map((p) => [p, 4096]),
      );
    } finally {
      st = await resp.stop();
    }
    assert.deepEqual([st.received, st.unmatched, st.sendErrors], [65536 + 49152, 0, 0]);
  } finally {
    t.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('udpDrops reads the kernel drop count of a UDP port: received + dropped = sent', async () => {
  const rx = dgram.createSocket({ type: 'udp4', recvBufferSize: 4096 });
  const tx = dgram.createSocket('udp4');
  let got = 0;
  rx.on('message', () => got++);
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  try {
    assert.equal(udpDrops(port), 0);
    const N = 500;
    const msg = Buffer.alloc(1000, 0x61);
    let sent = 0;
    await new Promise<void>((res, rej) => {
      // all sent before the loop turns, so rx reads nothing meanwhile and its tiny buffer overflows
      for (let i = 0; i < N; i++)
        tx.send(msg, port, '127.0.0.1', (e) => {
          if (e) rej(e);
          else if (++sent === N) res();
        });
    });
    // let rx read what its buffer kept
    for (let i = 0; i < 50 && got + (udpDrops(port) ?? 0) < N; i++)
      await new Promise((r) => setTimeout(r, 20));
    const drops = udpDrops(port)!;
    assert.ok(drops > 0, `no drop with a ${rx.getRecvBufferSize()}-byte buffer`);
    assert.equal(got + drops, N);
  } finally {
    rx.close();
    tx.close();
  }
});
