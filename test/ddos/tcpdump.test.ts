/** Real captures written by tcpdump (`-i any`: Linux cooked v2; `-i lo`: Ethernet) agree with tshark. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCapture } from '../../src/ddos/index.js';
import { Topology } from '../lib/netns.js';
import { convKey, convUdp, tsharkSize } from './lib/tshark.js';

const dir = process.env.KEEP_TD ?? mkdtempSync(path.join(tmpdir(), 'hostops-ddos-td-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// 6 "reflectors" on port 123 and ordinary UDP, IPv4 and IPv6, including a 3000-byte datagram
// that the kernel fragments (IPv4 MTU of lo is 65536, so force it with a big one on a small-MTU veth)
const traffic = `const d=require('dgram');
const v4=[];for(let i=2;i<8;i++)v4.push(['127.0.0.'+i,123]);
let pending=0;const done=()=>{if(--pending===0)process.exit(0)};
for(const [a,p] of v4){pending++;const s=d.createSocket('udp4');s.bind(p,a,()=>{for(let j=0;j<30;j++)s.send(Buffer.alloc(440),9999,'127.0.0.1');setTimeout(()=>{s.close();done()},100)})}
pending++;const q=d.createSocket('udp4');q.bind(0,'127.0.0.1',()=>{for(let j=0;j<10;j++)q.send(Buffer.alloc(40),53,'127.0.0.9');setTimeout(()=>{q.close();done()},100)});
pending++;const s6=d.createSocket('udp6');s6.bind(0,'::1',()=>{for(let j=0;j<5;j++)s6.send(Buffer.alloc(100),5353,'::1');setTimeout(()=>{s6.close();done()},100)});
pending++;const f=d.createSocket('udp4');f.bind(0,'198.18.95.1',()=>{for(let j=0;j<4;j++)f.send(Buffer.alloc(3000),7777,'198.18.95.2');setTimeout(()=>{f.close();done()},100)});`;

for (const iface of ['any', 'lo']) {
  test(`tcpdump -i ${iface} capture: counts equal tshark's conversation table`, async () => {
    const t = new Topology('btd');
    const file = path.join(dir, `${iface}.pcap`);
    try {
      const ns = t.ns('x');
      const peer = t.ns('y');
      const { aIf } = t.link(ns, '198.18.95.1/24', peer, '198.18.95.2/24');
      t.exec(ns, ['ip', 'link', 'set', aIf, 'mtu', '1280']);
      const td = t.spawn(ns, [
        'tcpdump',
        '-U',
        '--immediate-mode',
        '-s',
        '512',
        '-B',
        '4096',
        '-n',
        '-i',
        iface,
        '-w',
        file,
        'udp',
      ]);
      td.on('error', (e) => {
        throw new Error(`tcpdump is required: ${e.message}`);
      });
      await new Promise<void>((resolve, reject) => {
        let err = '';
        td.stderr!.on('data', (d) => {
          err += d;
          if (/listening on/.test(err)) resolve();
        });
        setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
      });
      t.exec(ns, [process.execPath, '-e', traffic]);
      await new Promise((r) => setTimeout(r, 300));
      td.kill('SIGINT');
      await new Promise((r) => td.on('exit', r));
    } finally {
      t.destroy();
    }
    assert.ok(statSync(file).size > 1000, `capture size ${statSync(file).size}`);
    const r = await analyzeCapture(file, { minPps: 50, minReflectors: 5, conversations: true });
    assert.deepEqual(r.linktypes, [iface === 'any' ? 276 : 1]);
    const ntp = r.victims.find((v) => v.address === '127.0.0.1');
    assert.ok(ntp, JSON.stringify({ ...r, udpConversations: r.udpConversations!.slice(0, 12) }));
    assert.equal(ntp.reflectors, 6);
    assert.equal(ntp.packets, 180);
    if (iface === 'any') {
      assert.ok(r.fragments >= 12, `fragments ${r.fragments}`);
      assert.equal(r.orphanFragments, 0);
    }
    // tshark reassembles fragments (one conversation frame per datagram); compare unfragmented flows
    const ts = convUdp(file);
    let compared = 0;
    for (const c of r.udpConversations!) {
      if (c.portB === 7777 || c.portA === 7777) continue;
      const x = ts.get(convKey(c.addressA, c.portA, c.addressB, c.portB));
      assert.ok(x, `tshark lacks ${c.addressA}:${c.portA} <-> ${c.addressB}:${c.portB}`);
      assert.equal(x.framesAB + x.framesBA, c.framesAtoB + c.framesBtoA);
      assert.equal(x.bytesAB, tsharkSize(c.bytesAtoB));
      compared++;
    }
    assert.ok(compared >= 8);
  });
}
