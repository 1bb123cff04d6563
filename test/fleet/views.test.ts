import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Overview, OverviewCellOut } from '../../src/serve/overview.js';
import {
  cellPage,
  groupOverview,
  searchTargets,
  worstPairs,
  NO_GROUP,
  type TargetInfo,
} from '../../src/serve/fleet-views.js';
import { serve } from '../../src/serve/index.js';
import { freePort, tableProber, tempDir, testConfig } from '../serve/helpers.js';

/** 50 sites x 10,000 targets in 20 groups; site i x target j: median 1 ms + j us, loss on every 997th pair. */
function bigOverview(): { ov: Overview; info: Map<string, TargetInfo> } {
  const sites = Array.from({ length: 50 }, (_, i) => `pop${String(i).padStart(2, '0')}`);
  const targets = Array.from({ length: 10_000 }, (_, j) => `cust${String(j).padStart(5, '0')}`);
  const info = new Map(
    targets.map((t, j) => [
      t,
      {
        name: t,
        address: `198.18.${j >> 8}.${j & 255}`,
        groups: j % 500 === 499 ? [] : [`g${String(j % 20).padStart(2, '0')}`],
      },
    ]),
  );
  const cells: OverviewCellOut[] = [];
  let k = 0;
  for (const site of sites) {
    for (const [j, target] of targets.entries()) {
      const loss = k++ % 997 === 0 ? (k % 7) / 20 : 0;
      cells.push({
        site,
        target,
        median: 0.001 + j * 1e-6,
        loss,
        sent: 60,
        compliance: loss > 0.1 ? 0.5 : 1,
        sla: { rtt: '< 20 ms', loss: '< 10%' },
        ok: loss <= 0.1 && 0.001 + j * 1e-6 < 0.02,
        lastTs: 1_700_000_000,
      });
    }
  }
  return {
    ov: { generatedAt: 1_700_000_000, window: 3600, slaWindow: 86400, sites, targets, cells },
    info,
  };
}

test('at 50 sites x 10,000 targets every view answers with a bounded number of cells', () => {
  const { ov, info } = bigOverview();
  const g = groupOverview(ov, info);
  assert.equal(g.groups.length, 21);
  assert.equal(g.groups.at(-1), NO_GROUP);
  assert.equal(g.cells.length, 50 * 21);
  const c = g.cells.find((x) => x.site === 'pop00' && x.group === 'g03')!;
  assert.equal(c.targets, 500);
  assert.equal(
    g.cells.find((x) => x.site === 'pop00' && x.group === 'g19')!.targets,
    480,
    'the 20 without a group are under (none)',
  );
  assert.equal(c.ok + c.bad + c.unknown, c.targets);
  assert.equal(
    g.cells.reduce((a, x) => a + x.targets, 0),
    500_000,
    'every pair in exactly one group',
  );
  assert.ok(JSON.stringify(g).length < 300_000, `groups: ${JSON.stringify(g).length} bytes`);

  const p = cellPage(ov, info, { group: 'g03', offset: 100, limit: 100 });
  assert.equal(p.total, 500);
  assert.equal(p.targets.length, 100);
  assert.equal(p.cells.length, 100 * 50);
  assert.equal(p.targets[0], 'cust02003');
  const last = cellPage(ov, info, { group: 'g03', offset: 450, limit: 100 });
  assert.equal(last.targets.length, 50);
  const one = cellPage(ov, info, { site: 'pop07', q: '198.18.3.', offset: 0, limit: 1000 });
  assert.equal(one.total, 256);
  assert.deepEqual(one.sites, ['pop07']);
  assert.equal(one.cells.length, 256);
  assert.ok(one.cells.every((x) => x.site === 'pop07'));

  const wl = worstPairs(ov, 'loss', 10, () => 0.02);
  assert.equal(wl.length, 10);
  assert.ok(wl.every((x, i) => i === 0 || wl[i - 1].score >= x.score));
  assert.equal(wl[0].loss, 0.3);
  const ws = worstPairs(ov, 'sla', 5, () => 0.02);
  assert.ok(
    ws.every((x) => x.compliance === 0.5),
    'the broken pairs first',
  );
  assert.ok(ws[0].median! >= ws[4].median!, 'then the ones furthest over their RTT bound');

  const s = searchTargets(ov, info, 'CUST0999', 20);
  assert.deepEqual(
    s.map((x) => x.name),
    Array.from({ length: 10 }, (_, i) => `cust0999${i}`),
  );
  assert.equal(s[0].sites, 50);
  assert.equal(searchTargets(ov, info, '198.18.39.15', 5)[0].name, 'cust09999');
  assert.equal(searchTargets(ov, info, '198.18.39.15', 5)[0].matched, 'address');
  assert.equal(searchTargets(ov, info, 'g19', 3)[0].matched, 'group');
});

test('the view routes: grouped overview, a page of cells, worst pairs, search; /api/overview unchanged', async () => {
  const t = tempDir('hostops-views-');
  const cfg = testConfig(t.dir, await freePort(), {
    site: 'ldn',
    ping: { interval: '1s', count: 4 },
    defaults: { self: false, gateway: false },
    targets: [
      { name: 'fra', host: '198.18.7.1', group: 'eu', sla: { rtt: '< 20 ms' } },
      { name: 'ams', host: '198.18.7.2', group: 'eu', sla: { rtt: '< 20 ms', loss: '< 10%' } },
      { name: 'nyc', host: '198.18.7.3', sla: { rtt: '< 90 ms' } },
    ],
  });
  const a = await serve(cfg, {
    probes: {
      latency: tableProber({ '198.18.7.1': [0.01], '198.18.7.2': [0.03], '198.18.7.3': [0.07] }, 2),
    },
    firstRunSpread: 0.1,
    log: () => {},
  });
  const j = async (p: string) => {
    const r = await fetch(`${a.url}${p}`);
    return { status: r.status, body: (await r.json()) as any };
  };
  try {
    let ov: any;
    for (let i = 0; i < 60; i++) {
      await sleep(250);
      ov = (await j('/api/overview')).body;
      if (ov.cells.length === 3 && ov.cells.every((c: any) => c.median != null)) break;
    }
    assert.deepEqual(Object.keys(ov), [
      'generatedAt',
      'window',
      'slaWindow',
      'sites',
      'targets',
      'cells',
      'probes', // the service probes' list (issue 17), an added field
    ]);
    assert.deepEqual(ov.targets, ['fra', 'ams', 'nyc']);
    const g = (await j('/api/overview/groups')).body;
    assert.deepEqual(g.groups, ['eu', NO_GROUP]);
    assert.deepEqual(
      g.cells.map((c: any) => [c.site, c.group, c.targets, c.ok, c.bad]),
      [
        ['ldn', 'eu', 2, 1, 1],
        ['ldn', NO_GROUP, 1, 1, 0],
      ],
    );
    // merged from per-site parts (overview-parts.ts): each site's data time, none stale here
    assert.deepEqual([Object.keys(g.sitesAsOf), g.stale], [['ldn'], []]);
    assert.equal(g.generatedAt, g.sitesAsOf.ldn);
    const page = (await j('/api/overview/cells?group=eu&limit=1&offset=1')).body;
    assert.deepEqual(
      [page.total, page.targets, page.cells.map((c: any) => c.target)],
      [2, ['ams'], ['ams']],
    );
    const worst = (await j('/api/worst?by=sla&n=1')).body;
    assert.deepEqual(
      worst.pairs.map((c: any) => c.target),
      ['ams'],
    );
    assert.equal((await j('/api/worst?by=loss&n=3')).body.pairs.length, 3);
    const s = (await j('/api/search?q=198.18.7.3')).body;
    assert.deepEqual(
      s.targets.map((x: any) => [x.name, x.matched, x.groups]),
      [['nyc', 'address', []]],
    );
    for (const [p, msg] of [
      ['/api/worst?by=p99', /by must be loss or sla/],
      ['/api/overview/cells?limit=5000', /limit must be an integer from 1 to 1000/],
      ['/api/search', /q .* is required/],
    ] as const) {
      const r = await j(p);
      assert.equal(r.status, 400, p);
      assert.match(r.body.error, msg);
    }
  } finally {
    await a.stop();
    t.cleanup();
  }
});

test('worst pairs never lists a healthy pair: only failing, broken in the window, or near the RTT bound', () => {
  const cell = (target: string, o: Partial<OverviewCellOut>): OverviewCellOut => ({
    site: 'ldn',
    target,
    median: 0.005,
    loss: 0,
    sent: 60,
    compliance: 1,
    sla: { rtt: '< 20 ms' },
    ok: true,
    lastTs: 1_700_000_000,
    ...o,
  });
  const cells = [
    cell('healthy-a', {}),
    cell('healthy-b', { median: 0.0179 }),
    cell('near', { median: 0.0185 }),
    cell('broke-once', { compliance: 0.99 }),
    cell('failing', { ok: false, median: 0.03 }),
    cell('lossy', { loss: 0.05, compliance: 0.9 }),
    cell('no-sla', { sla: null, compliance: null, ok: null }),
  ];
  const ov = {
    generatedAt: 1_700_000_000,
    window: 3600,
    slaWindow: 86400,
    sites: ['ldn'],
    targets: cells.map((c) => c.target),
    cells,
  };
  const sla = worstPairs(ov, 'sla', 20, () => 0.02).map((c) => c.target);
  assert.deepEqual(sla, ['lossy', 'broke-once', 'failing', 'near']);
  assert.deepEqual(
    worstPairs(ov, 'loss', 20, () => 0.02).map((c) => c.target),
    ['lossy'],
  );
});
