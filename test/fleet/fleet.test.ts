import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { buildOverview } from '../../src/serve/overview.js';
import { inventorySla, namesOfAddress, roundsByAddress } from '../../src/fleet/sla.js';
import { startPg, type PgCluster } from '../store/pg-cluster.js';
import { rounds, tempDir } from '../store/helpers.js';

const T0 = 1_700_000_000 - (1_700_000_000 % 3600);
let pg: PgCluster;
const urls: Record<string, string> = {};
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/hostops.js', 'fleet', ...args, '--db', pg.url], {
    encoding: 'utf8',
  });

before(async () => {
  pg = await startPg();
});
after(() => {
  pg?.stop();
});

test('fleet CLI: sites with roles, targets, SLAs, export and import round trip, field-named errors', () => {
  for (const s of ['ldn', 'nyc']) {
    const r = run('add-site', s);
    assert.equal(r.status, 0, r.stderr);
    const m = /store\.url for this agent: (postgres:\/\/\S+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.match(
      m[1],
      new RegExp(
        `^postgres://hostops_site_${s}:[A-Za-z0-9_-]{24}@127\\.0\\.0\\.1:${pg.port}/hostops$`,
      ),
    );
    urls[s] = m[1];
  }
  assert.equal(run('add-target', 'fra', '198.18.0.10', '--group', 'eu').status, 0);
  assert.equal(run('add-target', 'ams', '198.18.0.11', '--group', 'eu').status, 0);
  assert.equal(run('sla', '--group', 'eu', '--rtt', '< 80 ms', '--loss', '< 1%').status, 0);
  assert.equal(run('sla', '--site', 'nyc', '--target', 'fra', '--rtt', '< 5 ms').status, 0);
  const dup = run('add-target', 'fra', '198.18.0.99');
  assert.equal(dup.status, 2);
  assert.match(dup.stderr, /target name "fra" is already 198\.18\.0\.10/);
  const exp = run('export');
  assert.equal(exp.status, 0, exp.stderr);
  assert.equal(
    exp.stdout,
    [
      '# hostops fleet inventory (hostops fleet export); apply with: hostops fleet import FILE',
      'sites:',
      '  - ldn',
      '  - nyc',
      'targets:',
      '  - name: ams',
      '    address: 198.18.0.11',
      '    groups:',
      '      - eu',
      '  - name: fra',
      '    address: 198.18.0.10',
      '    groups:',
      '      - eu',
      'assignments:',
      '  mode: mesh',
      '  sites: {}',
      'sla:',
      '  - site: "*"',
      '    group: eu',
      '    rtt: < 80 ms',
      '    loss: < 1%',
      '  - site: nyc',
      '    target: fra',
      '    rtt: < 5 ms',
      'retention: {}',
      '',
    ].join('\n'),
  );
  const t = tempDir('hostops-fleet-');
  try {
    const bad = path.join(t.dir, 'bad.yaml');
    writeFileSync(bad, exp.stdout.replace('rtt: < 5 ms', 'rtt: fast'));
    const r = run('import', bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.yaml: sla\[1\]\.rtt: not an RTT bound/);
    assert.match(r.stderr, /bad\.yaml:24\)/, 'the line of the field');
    const good = path.join(t.dir, 'fleet.yaml');
    writeFileSync(good, exp.stdout);
    const ok = run('import', good);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `imported ${good}: 2 sites, 2 targets, 2 SLAs\n`);
    assert.equal(run('export').stdout, exp.stdout, 'import of an export changes nothing');
  } finally {
    t.cleanup();
  }
});

test("the SLA shown for a pair is the inventory's, whichever agent serves the page", async () => {
  const a = new SqlStore(new PgDriver(pg.url));
  const b = new SqlStore(new PgDriver(pg.url));
  try {
    await a.writePings([
      ...rounds('ldn', 'fra', T0, 90, 20, 10),
      ...rounds('nyc', 'fra', T0, 90, 20, 10),
    ]);
    await a.rollup('ldn');
    await b.rollup('nyc');
    // each agent's local config says something else: it must not be what is shown
    const localA = [
      {
        name: 'fra',
        host: '198.18.0.10',
        path: false,
        sla: { rtt: { op: '<' as const, value: 0.001 } },
      },
    ];
    const localB = [{ name: 'fra', host: '198.18.0.10', path: false }];
    const now = T0 + 1800;
    const views = [
      await buildOverview(a, localA, now, 3600, 86400, await inventorySla(a)),
      await buildOverview(b, localB, now, 3600, 86400, await inventorySla(b)),
    ];
    for (const v of views) {
      const cell = (site: string) => v.cells.find((c) => c.site === site && c.target === 'fra')!;
      assert.deepEqual(cell('ldn').sla, { rtt: '< 80 ms', loss: '< 1%' });
      assert.equal(cell('ldn').compliance, 1);
      assert.equal(cell('ldn').ok, true);
      assert.deepEqual(cell('nyc').sla, { rtt: '< 5 ms' }, 'the pair SLA beats the group SLA');
      assert.equal(cell('nyc').compliance, 0);
      assert.equal(cell('nyc').ok, false);
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('a renamed target keeps its history by address', async () => {
  const s = new SqlStore(new PgDriver(pg.url));
  try {
    await s.writePings(rounds('ldn', 'ams', T0 + 3600, 10));
    const r = run('rename-target', 'ams', 'amsterdam');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'target ams is now amsterdam (198.18.0.11)\n');
    await s.writePings(rounds('ldn', 'amsterdam', T0 + 3600 + 200, 5));
    assert.deepEqual(
      await namesOfAddress(
        s.driver instanceof PgDriver ? s.driver.sql : (null as never),
        '198.18.0.11',
      ),
      ['amsterdam', 'ams'],
    );
    const ts = await roundsByAddress(
      (s.driver as PgDriver).sql,
      'ldn',
      '198.18.0.11',
      T0,
      T0 + 7200,
    );
    assert.equal(ts.length, 15);
    assert.equal(ts[0], T0 + 3600);
    assert.equal(ts[14], T0 + 3600 + 280);
    // the old rows still get the target's SLA (the group's) under its new name's inventory entry
    const look = (await inventorySla(s))!;
    assert.deepEqual(look('ldn', 'ams'), look('ldn', 'amsterdam'));
    assert.ok(look('ldn', 'ams')?.rtt);
  } finally {
    await s.close();
  }
});

test("a site role writes only its own rows and reads the inventory; it cannot read or delete another site's", async () => {
  const owner = new SqlStore(new PgDriver(pg.url));
  const agent = new SqlStore(new PgDriver(urls.ldn));
  const raw = postgres(urls.ldn, { max: 1, onnotice: () => {} });
  try {
    await owner.writePings(rounds('nyc', 'ams', T0 + 7200, 4));
    const nycBefore = await owner.pingCount('nyc');
    await agent.migrate();
    await agent.writePings(rounds('ldn', 'fra', T0 + 7200, 3));
    await agent.rollup('ldn');
    assert.equal(await agent.pingCount('nyc'), 0, "another site's rows are invisible");
    assert.equal(await agent.pingCount('ldn'), 90 + 10 + 5 + 3);
    await assert.rejects(
      agent.writePings(rounds('nyc', 'fra', T0 + 7200, 1)),
      /row-level security/,
    );
    // service probe rows (probe table, migration 5) are held to the same policy
    const probeRow = (site: string) => ({
      site,
      probe: 'web',
      prober: 'http',
      target: 'https://198.18.7.1/',
      ts: T0 + 7200,
      success: true,
      failure: null,
      duration: 0.01,
      phases: {},
      status: 200,
      rcode: null,
      certExpiry: null,
    });
    await agent.writeProbe(probeRow('ldn'));
    await assert.rejects(agent.writeProbe(probeRow('nyc')), /row-level security/);
    await owner.writeProbe(probeRow('nyc'));
    assert.deepEqual(
      (await agent.latestProbes()).map((r) => r.site),
      ['ldn'],
      "another site's probe rows are invisible",
    );
    // raw rounds are append-only for every site role, its own site's included
    for (const q of [
      `DELETE FROM ping WHERE site = 'nyc'`,
      `DELETE FROM ping WHERE site = 'ldn'`,
      `UPDATE ping SET site = 'ldn' WHERE site = 'nyc'`,
      `UPDATE ping SET received = 0 WHERE site = 'ldn'`,
      'TRUNCATE ping',
    ])
      await assert.rejects(raw.unsafe(q), /permission denied for table ping/, q);
    // where a site role may delete (its own probe rows), another site's rows are out of reach
    assert.equal((await raw.unsafe(`DELETE FROM probe WHERE site = 'nyc'`)).count, 0);
    const upd = await raw.unsafe(`UPDATE probe SET site = 'ldn' WHERE site = 'nyc'`);
    assert.equal(upd.count, 0);
    await assert.rejects(
      raw.unsafe(`UPDATE probe SET site = 'nyc' WHERE site = 'ldn'`),
      /row-level security/,
    );
    await assert.rejects(raw.unsafe('DELETE FROM fleet_targets'), /permission denied/);
    await assert.rejects(
      raw.unsafe('INSERT INTO fleet_sites (name, created_at) VALUES ($1, 0)', ['evil']),
      /permission denied/,
    );
    assert.equal(
      (await raw.unsafe('SELECT name FROM fleet_targets ORDER BY name'))
        .map((r) => r.name)
        .join(','),
      'amsterdam,fra',
    );
    assert.equal(await owner.pingCount('nyc'), nycBefore, 'nothing of nyc was touched');
    // the dashboard role reads every site
    await owner.driver.all(`CREATE ROLE dash LOGIN PASSWORD 'dashpw' IN ROLE hostops_dashboard`);
    const dash = new SqlStore(new PgDriver(pg.url.replace('postgres@', 'dash:dashpw@')));
    try {
      assert.equal(await dash.pingCount('nyc'), nycBefore);
      assert.equal(await dash.pingCount('ldn'), 108);
      assert.deepEqual(
        (await dash.latestProbes()).map((r) => r.site),
        ['ldn', 'nyc'],
      );
      await assert.rejects(
        dash.writePings(rounds('ldn', 'fra', T0 + 9000, 1)),
        /permission denied/,
      );
    } finally {
      await dash.close();
    }
  } finally {
    await raw.end();
    await agent.close();
    await owner.close();
  }
});
