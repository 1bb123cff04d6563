import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { startPg, type PgCluster } from '../store/pg-cluster.js';
import { tempDir } from '../store/helpers.js';

let pg: PgCluster;
let fresh: string;
const run = (db: string, ...args: string[]) =>
  spawnSync(process.execPath, ['bin/hostops.js', 'fleet', ...args, '--db', db], {
    encoding: 'utf8',
  });
const ok = (db: string, ...args: string[]) => {
  const r = run(db, ...args);
  assert.equal(r.status, 0, `fleet ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

before(async () => {
  pg = await startPg();
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  await sql.unsafe('CREATE DATABASE hostops_fresh');
  await sql.end();
  fresh = pg.url.replace(/\/hostops$/, '/hostops_fresh');
});
after(() => {
  pg?.stop();
});

test('fleet export/import: coordinates and nearest-N rules survive a round trip into an empty database', () => {
  for (const s of ['fra', 'ldn', 'nyc']) ok(pg.url, 'add-site', s);
  ok(pg.url, 'locate', 'ldn', '51.5,-0.12');
  ok(pg.url, 'locate', 'fra', '50.11,8.68');
  ok(pg.url, 'locate', 'nyc', '40.71,-74.01');
  ok(pg.url, 'add-target', 'shop', '198.18.0.20', '--group', 'customers');
  ok(pg.url, 'add-target', 'core', '198.18.0.21');
  ok(pg.url, 'locate', 'shop', '48.85,2.35');
  assert.equal(
    ok(pg.url, 'assign', '--nearest', '2', 'group:customers'),
    'target shop: nearest 2: ldn, fra (by coordinates 2)\n',
  );
  ok(pg.url, 'sla', '--group', 'customers', '--rtt', '< 30 ms');
  ok(pg.url, 'retention', '--raw', '7d', '--hourly', '400d');
  const exp = ok(pg.url, 'export');
  assert.equal(
    exp,
    [
      '# hostops fleet inventory (hostops fleet export); apply with: hostops fleet import FILE',
      'sites:',
      '  - name: fra',
      '    lat: 50.11',
      '    lon: 8.68',
      '  - name: ldn',
      '    lat: 51.5',
      '    lon: -0.12',
      '  - name: nyc',
      '    lat: 40.71',
      '    lon: -74.01',
      'targets:',
      '  - name: core',
      '    address: 198.18.0.21',
      '    groups: []',
      '  - name: shop',
      '    address: 198.18.0.20',
      '    groups:',
      '      - customers',
      '    lat: 48.85',
      '    lon: 2.35',
      '    nearest:',
      '      n: 2',
      '      sites:',
      '        - ldn',
      '        - fra',
      '      basis: coordinates 2',
      'assignments:',
      '  mode: mesh',
      '  sites: {}',
      'sla:',
      '  - site: "*"',
      '    group: customers',
      '    rtt: < 30 ms',
      'retention:',
      '  raw: 7d',
      '  hourly: 400d',
      '',
    ].join('\n'),
  );
  const t = tempDir('hostops-fleet-yaml-');
  try {
    const file = path.join(t.dir, 'fleet.yaml');
    writeFileSync(file, exp);
    assert.equal(ok(fresh, 'import', file), `imported ${file}: 3 sites, 2 targets, 1 SLAs\n`);
    assert.equal(ok(fresh, 'export'), exp, 'the fresh database exports the same bytes');
    // the stored pick (Paris: London 344 km, Frankfurt 480 km) is kept, not re-resolved: the fresh database has no latency to decide with
    assert.equal(JSON.parse(ok(fresh, 'list', '--json')).nearest.shop.sites.join(','), 'ldn,fra');
    // the file is the truth: a rule and a location taken out of it are gone after import
    writeFileSync(
      file,
      exp
        .replace(/ {4}nearest:\n(?: {6}.*\n)+/, '')
        .replace('  - name: nyc\n    lat: 40.71\n    lon: -74.01\n', '  - nyc\n'),
    );
    ok(fresh, 'import', file);
    const again = ok(fresh, 'export');
    assert.doesNotMatch(again, /nearest|40\.71/);
    assert.match(again, /  - nyc\n/);
    writeFileSync(file, exp.replace('    lon: 2.35\n', ''));
    const half = run(fresh, 'import', file);
    assert.equal(half.status, 2);
    assert.match(half.stderr, /fleet\.yaml: targets\[1\]: lat and lon go together/);
    writeFileSync(file, exp.replace('        - ldn\n', '        - sfo\n'));
    const unknown = run(fresh, 'import', file);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /targets\[1\]\.nearest\.sites: no site named "sfo"/);
  } finally {
    t.cleanup();
  }
});
