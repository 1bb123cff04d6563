import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, chain } from '../lib/netns.js';
import { SqlStore, SqliteDriver } from '../../src/store/index.js';
import { buildOverview } from '../../src/serve/overview.js';
import { tempDir } from './helpers.js';

const BIN = path.resolve('bin/hostops.js');

test('an agent in a namespace measures real loss behind a lossy router and records the path', async () => {
  const t = new Topology('sn');
  const d = tempDir('hostops-ns-');
  try {
    const c = chain(t, 2, 77);                 // src - r1 - r2 - target
    const r2 = `${t.prefix}r2`;
    t.loss(r2, 30, 'ip daddr ' + '198.18.77.10 icmp type echo-request', 'forward');
    const targetAddr = '198.18.77.10';
    const cfg = path.join(d.dir, 'hostops.yaml');
    writeFileSync(cfg, [
      'site: lab', 'listen: { host: 127.0.0.1, port: 0 }', `store: { path: ${path.join(d.dir, 'h.db')} }`,
      'defaults: { self: false, gateway: false }', 'ping: { interval: 4s, count: 20 }', 'path: { interval: 1h, cycles: 20 }',
      'iperf: { server: false }', 'mailq: { enabled: false }', 'ntp: { enabled: false }', 'amp: { enabled: false }',
      `targets: [{ name: far, host: ${targetAddr}, sla: { rtt: "< 70 ms", loss: "< 1%" } }]`,
    ].join('\n') + '\n');
    const proc = t.spawn(c.src, [process.execPath, BIN, 'serve', '-c', cfg]);
    proc.stderr?.on('data', () => {});
    await sleep(11_000);                        // two rounds of 20 pings and one path
    proc.kill('SIGTERM');
    await once(proc, 'exit');
    const store = new SqlStore(new SqliteDriver(path.join(d.dir, 'h.db')));
    const h = await store.pingHistory('lab', 'far', 0, Date.now() / 1000 + 1, 'raw');
    const sent = h.sent.reduce((a, b) => a + b, 0); const rec = h.received.reduce((a, b) => a + b, 0);
    assert.ok(sent >= 40, `rounds stored: ${JSON.stringify(h.sent)}`);
    const loss = 1 - rec / sent;
    assert.ok(loss > 0.1 && loss < 0.55, `measured loss ${loss} for 30% dropped`);
    assert.ok(h.median.every((m) => m !== null && m > 0 && m < 0.01));
    const [p] = await store.latestPaths('lab');
    assert.deepEqual(p.hops.map((x) => x.hosts[0]), ['198.18.77.2', '198.18.77.6', targetAddr]);
    // 20 cycles at 30% loss: all 20 answered has probability 0.7^20 = 0.08% (10 cycles: 3%, seen failing)
    assert.ok(p.hops[2].loss > 0, 'the lossy last hop shows loss');
    const ov = await buildOverview(store, [{ name: 'far', host: targetAddr, path: true, sla: { loss: { op: '<', value: 0.01 } } }], Date.now() / 1000);
    assert.equal(ov.cells[0].ok, false, 'the SLA "< 1%" is broken');
    await store.close();
  } finally {
    t.destroy();
    d.cleanup();
  }
});
