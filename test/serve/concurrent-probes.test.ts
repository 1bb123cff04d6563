/**
 * The path monitor (mtr-style, ICMP) and the ping rounds probe the same target from one agent at
 * the same time. Every stored round must be a whole round (exactly `count` probes) with only its
 * own replies: all of them on a clean path, a binomially plausible share behind a lossy router.
 * The agent is stopped in the middle of a round, which must leave no short round behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topology, chain } from '../lib/netns.js';
import { SqlStore, SqliteDriver } from '../../src/store/index.js';
import { binomTails, tempDir } from './helpers.js';
import { startAgentInNs, type NsAgent } from './ns-agent.js';

const COUNT = 20;
const CYCLES = 30;
const TARGET = '198.18.79.10';

async function scenario(prefix: string, lossPercent: number) {
  const t = new Topology(prefix);
  const d = tempDir('hostops-pi-');
  let agent: NsAgent | undefined;
  try {
    const c = chain(t, 2, 79); // src - r1 - r2 - target
    // the rule exists in both runs; at 0% it drops nothing
    t.loss(`${t.prefix}r2`, lossPercent, `ip daddr ${TARGET} icmp type echo-request`, 'forward');
    // 100 ms between pings, rounds back to back; the path runs 30 cycles of 200 ms meanwhile
    agent = startAgentInNs(t, c.src, d.dir, [
      `ping: { interval: 2s, count: ${COUNT} }`,
      `path: { interval: 1h, cycles: ${CYCLES} }`,
      `targets: [{ name: far, host: ${TARGET} }]`,
    ]);
    // three whole rounds and the finished path, then stop while the next round is under way
    await agent.waitFor((n) => n.rounds >= 3 && n.paths >= 1, 60_000);
    const before = agent.counts().rounds;
    await sleep(500);
    await agent.stop();
    const store = new SqlStore(new SqliteDriver(agent.db));
    try {
      const h = await store.pingHistory('lab', 'far', 0, Date.now() / 1000 + 1, 'raw');
      const [p] = await store.latestPaths('lab');
      return { h, p, before, stderr: agent.stderr() };
    } finally {
      await store.close();
    }
  } finally {
    if (agent) await agent.stop().catch(() => {});
    t.destroy();
    d.cleanup();
  }
}

test('concurrent path and ping rounds to one target: a clean path loses nothing and stores only whole rounds', async () => {
  const { h, p, before } = await scenario('pia', 0);
  assert.ok(h.sent.length >= 3, `rounds: ${JSON.stringify(h.sent)}`);
  // the round cut short by SIGTERM is not stored (it used to be, with the probes sent so far)
  assert.ok(h.sent.length <= before + 1, `rounds ${h.sent.length}, seen ${before} before the stop`);
  assert.deepEqual(
    h.sent,
    h.sent.map(() => COUNT),
    `every stored round sent ${COUNT}: ${JSON.stringify(h.sent)}`,
  );
  assert.deepEqual(
    h.received,
    h.sent,
    `0% loss on the path, so every reply comes back: ${JSON.stringify(h.received)}`,
  );
  // a namespace chain answers in well under a millisecond; 10 ms allows a busy CI machine
  assert.ok(
    h.median.every((m) => m !== null && m > 0 && m < 0.01),
    `medians ${JSON.stringify(h.median)}`,
  );
  assert.deepEqual(
    p.hops.map((x) => x.hosts[0]),
    ['198.18.79.2', '198.18.79.6', TARGET],
  );
  assert.deepEqual(
    p.hops.map((x) => x.loss),
    [0, 0, 0],
    'no probe of the path is lost either',
  );
  assert.equal(p.hops[2].sent, CYCLES);
});

test('concurrent path and ping rounds behind a 30%-lossy router: whole rounds, binomially plausible loss', async () => {
  const { h, p } = await scenario('pib', 30);
  assert.ok(h.sent.length >= 3, `rounds: ${JSON.stringify(h.sent)}`);
  assert.deepEqual(
    h.sent,
    h.sent.map(() => COUNT),
    `every stored round sent ${COUNT}: ${JSON.stringify(h.sent)}`,
  );
  const n = h.sent.reduce((a, b) => a + b, 0);
  const lost = n - h.received.reduce((a, b) => a + b, 0);
  // lost ~ Binomial(n, 0.3): either tail beyond 1e-5 means the counting is wrong, not bad luck
  const tails = binomTails(n, 0.3, lost);
  assert.ok(
    tails.le > 1e-5 && tails.ge > 1e-5,
    `lost ${lost} of ${n} (${JSON.stringify(h.received)}), tails ${JSON.stringify(tails)}`,
  );
  // a round with every reply lost has probability 0.3^20: each has a median
  assert.ok(
    h.median.every((m) => m !== null && m > 0 && m < 0.01),
    `medians ${JSON.stringify(h.median)}`,
  );
  assert.deepEqual(
    p.hops.map((x) => x.hosts[0]),
    ['198.18.79.2', '198.18.79.6', TARGET],
  );
  // 30 cycles at 30%: no loss at all has probability 0.7^30 = 2e-5
  assert.ok(p.hops[2].loss > 0, 'the lossy last hop shows loss');
  assert.deepEqual(
    p.hops.slice(0, 2).map((x) => x.loss),
    [0, 0],
    'the routers before the drop lose nothing',
  );
});
