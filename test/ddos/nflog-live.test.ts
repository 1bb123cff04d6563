/**
 * A real NFLOG capture: in a network namespace of its own, nftables logs outgoing UDP to
 * netlink group 5 and tcpdump records it from nflog:5 (linktype 239), while NTP-monlist-shaped
 * answers go from 12 "reflector" addresses to a victim, all on the namespace's loopback.
 * Checked against tshark -z conv,udp on the same file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCapture } from '../../src/ddos/index.js';
import { convUdp, convKey, tsharkSize } from './lib/tshark.js';

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', input, timeout: 30000 });
  if (r.error)
    throw new Error(`${argv[0]} is required (scripts/apt-packages.txt): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

test('NFLOG (linktype 239) recorded by tcpdump from an nftables log rule: reflection found, counts as tshark', async () => {
  const ns = `hostops-nflog-${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-nflog-'));
  const file = path.join(dir, 'nflog.pcap');
  sh(['ip', 'netns', 'add', ns]);
  try {
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', '198.18.50.5/32', 'dev', 'lo']);
    for (let i = 1; i <= 12; i++)
      sh(['ip', '-n', ns, 'addr', 'add', `198.18.10.${i}/32`, 'dev', 'lo']);
    sh(
      ['ip', 'netns', 'exec', ns, 'nft', '-f', '-'],
      'table inet t {\n chain o {\n  type filter hook output priority 0;\n  udp dport 80 log group 5\n }\n}\n',
    );
    const td = spawn(
      'ip',
      ['netns', 'exec', ns, 'tcpdump', '-i', 'nflog:5', '-U', '-c', '240', '-w', file],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    const exited = new Promise<number | null>((resolve) => td.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      td.stderr!.on('data', (d) => {
        err += d;
        if (/listening on nflog:5/.test(err)) resolve();
      });
      td.once('exit', (c) => reject(new Error(`tcpdump exited (${c}) before listening: ${err}`)));
    });
    // 12 reflectors x 20 monlist-shaped answers (mode 7, R bit, request code 42)
    sh([
      'ip',
      'netns',
      'exec',
      ns,
      '/usr/bin/python3',
      '-c',
      [
        'import socket',
        'for i in range(1, 13):',
        '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.18.10.%d" % i, 123))',
        '    for n in range(20): s.sendto(bytes([0x97, n, 3, 42]) + bytes(436), ("198.18.50.5", 80))',
      ].join('\n'),
    ]);
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('timeout'), 20000)),
    ]);
    if (code === 'timeout') {
      td.kill();
      throw new Error(`tcpdump did not see 240 packets: ${err}`);
    }
    assert.equal(code, 0, err);

    const r = await analyzeCapture(file, { minPps: 100, minReflectors: 10, conversations: true });
    assert.deepEqual(r.linktypes, [239]);
    assert.equal(r.encapsulations.nflog, 240);
    assert.equal(r.udpPackets, 240);
    const ts = convUdp(file);
    assert.equal(r.conversations.count, ts.size);
    for (const c of r.udpConversations!) {
      const t = ts.get(convKey(c.addressA, c.portA, c.addressB, c.portB))!;
      assert.ok(t, `tshark lacks ${c.addressA}:${c.portA}`);
      assert.equal(t.framesAB, c.framesAtoB);
      assert.equal(t.bytesAB, tsharkSize(c.bytesAtoB));
    }
    assert.equal(r.victims.length, 1);
    assert.equal(r.victims[0].address, '198.18.50.5');
    assert.equal(r.victims[0].reflectors, 12);
    assert.equal(r.victims[0].monlistPackets, 240);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});
