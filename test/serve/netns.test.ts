import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, chain } from '../lib/netns.js';
import { SqlStore, SqliteDriver } from '../../src/store/index.js';
import { buildOverview } from '../../src/serve/overview.js';
import { binomTails, tempDir } from './helpers.js';
import { startAgentInNs } from './ns-agent.js';

test('an agent in a namespace measures real loss behind a lossy router and records the path', async () => {
  const t = new Topology('sn');
  const d = tempDir('hostops-ns-');
  try {
    const c = chain(t, 2, 77); // src - r1 - r2 - target
    const r2 = `${t.prefix}r2`;
    t.loss(r2, 30, 'ip daddr ' + '198.18.77.10 icmp type echo-request', 'forward');
    const targetAddr = '198.18.77.10';
    // two whole rounds of 20 pings and the finished path (30 cycles, probing alongside the pings)
    const agent = startAgentInNs(t, c.src, d.dir, [
      'ping: { interval: 4s, count: 20 }',
      'path: { interval: 1h, cycles: 30 }',
      `targets: [{ name: far, host: ${targetAddr}, sla: { rtt: "< 70 ms", loss: "< 1%" } }]`,
    ]);
    try {
      await agent.waitFor((n) => n.rounds >= 2 && n.paths >= 1, 60_000);
    } finally {
      await agent.stop();
    }
    const store = new SqlStore(new SqliteDriver(agent.db));
    const h = await store.pingHistory('lab', 'far', 0, Date.now() / 1000 + 1, 'raw');
    const sent = h.sent.reduce((a, b) => a + b, 0);
    const rec = h.received.reduce((a, b) => a + b, 0);
    assert.ok(
      sent >= 40 && h.sent.every((n) => n === 20),
      `rounds stored: ${JSON.stringify(h.sent)}`,
    );
    // lost ~ Binomial(sent, 0.3); a tail below 1e-4 is a counting error, not bad luck
    const tails = binomTails(sent, 0.3, sent - rec);
    assert.ok(
      tails.le > 1e-4 && tails.ge > 1e-4,
      `measured loss ${1 - rec / sent} for 30% dropped: ${JSON.stringify(tails)}`,
    );
    assert.ok(h.median.every((m) => m !== null && m > 0 && m < 0.01));
    const [p] = await store.latestPaths('lab');
    assert.deepEqual(
      p.hops.map((x) => x.hosts[0]),
      ['198.18.77.2', '198.18.77.6', targetAddr],
    );
    // 30 cycles at 30% loss: all 30 answered has probability 0.7^30 = 0.002% (10 cycles: 3%, seen failing)
    assert.ok(p.hops[2].loss > 0, 'the lossy last hop shows loss');
    const ov = await buildOverview(
      store,
      [{ name: 'far', host: targetAddr, path: true, sla: { loss: { op: '<', value: 0.01 } } }],
      Date.now() / 1000,
    );
    assert.equal(ov.cells[0].ok, false, 'the SLA "< 1%" is broken');
    await store.close();
  } finally {
    t.destroy();
    d.cleanup();
  }
});
