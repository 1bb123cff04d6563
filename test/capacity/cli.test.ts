import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fillDiurnal } from '../../src/capacity/synth.js';
import { FIX, tmp } from './helpers.js';

function hostops(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/hostops.js', ...args], {
    encoding: 'utf8',
    timeout: 60000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function trafficCsv(file: string): void {
  const start = 1700006400,
    step = 300,
    L = 288 * 3;
  const lines = ['timestamp,series,value'];
  for (let c = 1; c <= 4; c++) {
    const a = new Float64Array(L);
    fillDiurnal(a, { start, step, mean: 250e6, amp: 0.6, cv: 0.2, seed: c });
    for (let k = 0; k < L; k++) lines.push(`${start + (k + 1) * step},vps-${c},${a[k].toFixed(0)}`);
  }
  lines.splice(10, 0, `${start + 5000},vps-1,oops`);
  writeFileSync(file, lines.join('\n') + '\n');
}

test('contention: nominal text, measured --json, PNG and SVG charts, exit 1 on congestion', () => {
  const t = tmp();
  try {
    const nom = hostops(['capacity', 'contention', path.join(FIX, 'seed-switch.yaml')]);
    assert.equal(nom.code, 0, nom.err);
    assert.match(nom.out, /sw1\s+switch\s+1 Gbit\/s\s+96\s+24:1\s+96:1/);
    const csv = path.join(t.dir, 'traffic.csv');
    trafficCsv(csv);
    const png = path.join(t.dir, 'c.png'),
      svg = path.join(t.dir, 'c.svg');
    const r = hostops([
      'capacity',
      'contention',
      path.join(FIX, 'seed-host.yaml'),
      '--traffic',
      csv,
      '--json',
      '--chart',
      png,
    ]);
    assert.equal(r.code, 1, 'congested tier: exit 1');
    const j = JSON.parse(r.out);
    assert.equal(j.mode, 'measured');
    assert.equal(j.tiers[0].id, 'host1');
    assert.equal(j.customers.length, 4);
    assert.ok(
      j.problems.some((p: any) => /traffic\.csv:11/.test(p.where) && /oops/.test(p.message)),
      'bad line named',
    );
    assert.equal(j.demand, undefined, 'no raw arrays in JSON');
    assert.deepEqual(
      [...readFileSync(png).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''),
      'PNG',
    );
    const s = hostops([
      'capacity',
      'contention',
      path.join(FIX, 'seed-host.yaml'),
      '--traffic',
      csv,
      '--chart',
      svg,
    ]);
    assert.match(s.out, /Tiers, measured/);
    assert.match(s.out, /CONGESTED/);
    assert.match(readFileSync(svg, 'utf8'), /^<svg[^>]+xmlns/);
  } finally {
    t.done();
  }
});

test('contention --traffic-dir streams one file per customer and matches --traffic', () => {
  const t = tmp();
  try {
    const csv = path.join(t.dir, 'traffic.csv');
    trafficCsv(csv);
    const dir = path.join(t.dir, 'per-customer');
    mkdirSync(dir);
    const lines = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    for (let c = 1; c <= 4; c++) {
      const mine = lines
        .filter((l) => l.split(',')[1] === `vps-${c}`)
        .map((l) => {
          const f = l.split(',');
          return `${f[0]},${f[2]}`;
        });
      writeFileSync(path.join(dir, `vps-${c}.csv`), 'timestamp,value\n' + mine.join('\n') + '\n');
    }
    const a = JSON.parse(
      hostops([
        'capacity',
        'contention',
        path.join(FIX, 'seed-host.yaml'),
        '--traffic',
        csv,
        '--json',
      ]).out,
    );
    const b = JSON.parse(
      hostops([
        'capacity',
        'contention',
        path.join(FIX, 'seed-host.yaml'),
        '--traffic-dir',
        dir,
        '--json',
      ]).out,
    );
    assert.equal(b.mode, 'measured');
    for (const k of ['mean', 'p95', 'max', 'unmetBytes'] as const)
      assert.equal(b.tiers[0][k], a.tiers[0][k], k);
    assert.deepEqual(b.tiers[0].over, a.tiers[0].over);
    assert.deepEqual(
      b.customers.map((c: any) => c.p95),
      a.customers.map((c: any) => c.p95),
    );
    assert.ok(
      b.problems.some((p: any) => /oops/.test(p.message)),
      'bad line reported once',
    );
    assert.equal(b.problems.filter((p: any) => /oops/.test(p.message)).length, 1);
  } finally {
    t.done();
  }
});

test('memory: seed host, text and JSON, at-risk exit code, settings printed', () => {
  const r = hostops(['capacity', 'memory', path.join(FIX, 'seed-ram.yaml')]);
  assert.equal(r.code, 1, 'both VMs at risk under the model (1/12 > 1%)');
  assert.match(r.out, /memory\.min=3221225472/);
  assert.match(r.out, /<soft_limit unit='KiB'>4194304<\/soft_limit>/);
  const j = JSON.parse(
    hostops(['capacity', 'memory', path.join(FIX, 'seed-ram.yaml'), '--json']).out,
  );
  assert.equal(j.vms.length, 2);
  assert.ok(Math.abs(j.vms[0].model.pBurstUnmet - 1 / 12) < 1e-9);
});

test('memory with usage series: replay in --json, PNG chart of host demand', () => {
  const t = tmp();
  try {
    const f = path.join(t.dir, 'mem.csv'),
      png = path.join(t.dir, 'm.png');
    const start = 1700006400,
      rows = ['timestamp,site,neighbour'];
    for (let k = 1; k <= 288 * 2; k++) {
      const h = ((start + k * 300) % 86400) / 3600;
      const burst = (h > 9 && h <= 10) || (h > 21 && h <= 22);
      rows.push(`${start + k * 300},${burst ? 3.5 : 2},${burst ? 4 : 3}`);
    }
    writeFileSync(f, rows.join('\n') + '\n');
    const r = hostops([
      'capacity',
      'memory',
      path.join(FIX, 'seed-ram.yaml'),
      '--usage',
      f,
      '--unit',
      'GiB',
      '--json',
      '--chart',
      png,
    ]);
    assert.equal(r.code, 1, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.vms[0].replay.pBurstUnmet, 1, 'same-hour bursts: always short');
    assert.ok(Math.abs(j.vms[0].replay.unmetGiBhPerDay - 1 / 3) < 1e-9);
    assert.equal(j.hostDemand, undefined);
    assert.equal(readFileSync(png).subarray(1, 4).toString(), 'PNG');
  } finally {
    t.done();
  }
});

test('advise: example price table, steady usage recommends owned capacity', () => {
  const t = tmp();
  try {
    const f = path.join(t.dir, 'cpu.csv');
    const start = 1700006400,
      L = 288 * 14,
      a = new Float64Array(L);
    fillDiurnal(a, { start, step: 300, mean: 6, amp: 0.12, cv: 0.02, seed: 1 });
    writeFileSync(
      f,
      'timestamp,cpu\n' +
        Array.from(a, (v, k) => `${start + (k + 1) * 300},${v.toFixed(3)}`).join('\n') +
        '\n',
    );
    const r = hostops([
      'capacity',
      'advise',
      f,
      '--prices',
      'docs/capacity-prices.example.yaml',
      '--chart',
      path.join(t.dir, 'a.svg'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /RECOMMENDATION: (VPS|DEDICATED)/);
    assert.match(r.out, /EXAMPLE/);
    assert.ok(existsSync(path.join(t.dir, 'a.svg')));
  } finally {
    t.done();
  }
});

test('bad input: a broken topology names file and field, exit 2', () => {
  const t = tmp();
  try {
    const f = path.join(t.dir, 'bad.yaml');
    writeFileSync(
      f,
      'hosts:\n  - id: h\n    uplink: 1G\ncustomers:\n  - id: c\n    host: h\n    port: quick\n',
    );
    const r = hostops(['capacity', 'contention', f]);
    assert.equal(r.code, 2);
    assert.match(r.err, /customers\[0\]/);
    assert.match(r.err, /CAPACITY_BAD_UNIT/);
    writeFileSync(f, 'hosts: [\n');
    const y = hostops(['capacity', 'contention', f]);
    assert.equal(y.code, 2);
    assert.match(y.err, /bad\.yaml/);
    const m = hostops([
      'capacity',
      'contention',
      path.join(FIX, 'seed-host.yaml'),
      '--traffic',
      path.join(t.dir, 'missing.csv'),
    ]);
    assert.equal(m.code, 2);
    assert.match(m.err, /missing\.csv/);
  } finally {
    t.done();
  }
});
