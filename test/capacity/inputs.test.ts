import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseText,
  detectFormat,
  counterToRate,
  matchSeries,
} from '../../src/capacity/input/index.js';
import { align, alignAll } from '../../src/capacity/series.js';
import { FIX, tmp, run, close } from './helpers.js';

test('CSV long form: values, gaps stated, bad cells named by file:line', () => {
  const text =
    'timestamp,series,value\n1700000300,a,10\n1700000600,a,\n1700000900,a,abc\n1700001200,a,40\nnot-a-time,a,1\n1700000300,b,5\n';
  const r = parseText(text, 'x.csv');
  assert.equal(r.format, 'csv');
  const a = r.series.find((s) => s.name === 'a')!;
  assert.deepEqual(Array.from(a.times), [1700000300, 1700000600, 1700001200]);
  assert.ok(Number.isNaN(a.values[1]), 'empty cell is a gap, not 0');
  assert.ok(r.problems.some((p) => p.where === 'x.csv:4' && /abc/.test(p.message)));
  assert.ok(r.problems.some((p) => p.where === 'x.csv:6' && /timestamp/.test(p.message)));
});

test('CSV wide form with ISO timestamps', () => {
  const r = parseText(
    'time,vps1,vps2\n2026-01-01T00:05:00Z,1,2\n2026-01-01 00:10:00,3,4\n',
    'w.csv',
  );
  assert.deepEqual(
    r.series.map((s) => s.name),
    ['vps1', 'vps2'],
  );
  assert.equal(r.series[1].times[1], Date.parse('2026-01-01T00:10:00Z') / 1000);
  assert.equal(r.series[1].values[1], 4);
});

test('an empty or unusable CSV is a named error', () => {
  assert.throws(
    () => parseText('timestamp,value\nfoo,bar\n', 'bad.csv'),
    (e: any) => e.code === 'CAPACITY_EMPTY_INPUT' && /bad\.csv/.test(e.message),
  );
});

test('alignment: time-weighted onto a common grid; uncovered cells are gaps', () => {
  const raw = {
    name: 's',
    source: 't',
    unit: 'bit/s' as const,
    times: Float64Array.from([600, 1200, 2400]),
    values: Float64Array.from([10, 20, 40]),
    interval: 600,
  };
  const { series, gaps } = align(raw, { step: 300, start: 0, end: 2400 });
  assert.deepEqual(
    Array.from(series.values).map((v) => (Number.isNaN(v) ? null : v)),
    [10, 10, 20, 20, null, null, 40, 40],
  );
  assert.equal(gaps.length, 1);
  assert.deepEqual([gaps[0].from, gaps[0].to], [1200, 1800]);
  // a 60 s series and a 300 s series meet on the 300 s grid
  const fine = {
    name: 'f',
    source: 't',
    unit: 'bit/s' as const,
    times: Float64Array.from({ length: 10 }, (_, i) => 60 * (i + 1)),
    values: Float64Array.from({ length: 10 }, (_, i) => i),
  };
  const coarse = {
    name: 'c',
    source: 't',
    unit: 'bit/s' as const,
    times: Float64Array.from([300, 600]),
    values: Float64Array.from([1, 2]),
  };
  const al = alignAll([fine, coarse]);
  assert.equal(al.step, 300);
  assert.deepEqual(Array.from(al.series[0].values), [2, 7]);
});

test('SNMP Counter32 wraps are unwrapped; resets become stated gaps, not spikes', () => {
  const t = [0, 300, 600, 900, 1200];
  const c32 = ['4294000000', '4294967000', '1000000', '2000000', '500'];
  const r = counterToRate({ name: 'if1', source: 'x', unit: 'B/s' }, t, c32, {
    bits: 32,
    maxRate: 12.5e6,
  }); // 100 Mbit/s port: a 4.29e9-byte jump in 300 s cannot be a wrap
  assert.equal(r.wraps, 1);
  close(r.series.values[1], (4294967296 - 4294967000 + 1000000) / 300, 1e-6, 'wrap');
  assert.equal(r.resets, 1);
  assert.ok(Number.isNaN(r.series.values[3]), 'reset interval is a gap');
  assert.ok(r.problems.some((p) => /reset/.test(p.message)));
  // 64-bit: a decrease is a reset, and big values keep full precision
  const c64 = ['9223372036854775000', '9223372036854775600', '100', '400']; // above 2^53: BigInt keeps the deltas exact
  const r64 = counterToRate({ name: 'hc', source: 'x', unit: 'B/s' }, [0, 10, 20, 30], c64, {
    bits: 64,
  });
  assert.equal(r64.series.values[0], 60);
  assert.ok(Number.isNaN(r64.series.values[1]));
  assert.equal(r64.series.values[2], 30);
  // sysUpTime going back marks a reset even when the counter happens to grow
  const ru = counterToRate(
    { name: 'u', source: 'x', unit: 'B/s' },
    [0, 300, 600],
    ['100', '200', '900'],
    { bits: 32, uptimes: [1000, 1300, 5] },
  );
  assert.equal(ru.resets, 1);
});

test('SNMP poll log (timestamped snmpget output) with sysUpTime', () => {
  const text = readFileSync(path.join(FIX, 'snmp-poll.txt'), 'utf8');
  assert.equal(detectFormat(text), 'snmp');
  const r = parseText(text, 'snmp-poll.txt');
  const s = r.series.find((x) => x.name.includes('ifInOctets'))!;
  assert.ok(s, 'ifInOctets series');
  assert.ok(
    r.problems.some((p) => /reset/.test(p.message)),
    'the reboot in the fixture is reported',
  );
  assert.ok(
    Array.from(s.values)
      .filter(Number.isFinite)
      .every((v) => v >= 0 && v < 125e6),
    'no spike from the wrap or the reset',
  );
});

test('MRTG log: mixed 5-min / 30-min rows, newest first, bytes/s', () => {
  const text = readFileSync(path.join(FIX, 'sample.mrtg.log'), 'utf8');
  assert.equal(detectFormat(text, 'sample.log'), 'mrtg');
  const r = parseText(text, 'sample.log');
  const inS = r.series.find((s) => s.name === 'in')!;
  assert.equal(inS.unit, 'B/s');
  assert.ok(inS.times[0] < inS.times[inS.times.length - 1], 'sorted oldest first');
  const iv = Array.from(inS.intervals!);
  assert.ok(
    iv.includes(300) && iv.includes(1800),
    'both resolutions kept with their own intervals',
  );
});

test('rrdtool fetch, xport XML and xport JSON (made by Debian rrdtool) agree', () => {
  const t = tmp();
  try {
    const rrd = path.join(t.dir, 'x.rrd');
    const start = 1700000000;
    run('rrdtool', [
      'create',
      rrd,
      '--start',
      String(start),
      '--step',
      '300',
      'DS:in:COUNTER:600:0:U',
      'DS:mem:GAUGE:600:0:U',
      'RRA:AVERAGE:0.5:1:100',
    ]);
    // in: +300000 bytes per 300 s = 1000 B/s; mem: 10, 20, ...
    for (let i = 1; i <= 8; i++)
      run('rrdtool', ['update', rrd, `${start + 300 * i}:${i * 300000}:${i * 10}`]);
    const args = ['--start', String(start), '--end', String(start + 300 * 8)];
    const fetch = run('rrdtool', ['fetch', rrd, 'AVERAGE', ...args]);
    const xml = run('rrdtool', [
      'xport',
      ...args,
      `DEF:a=${rrd}:in:AVERAGE`,
      `DEF:b=${rrd}:mem:AVERAGE`,
      'XPORT:a:in',
      'XPORT:b:mem',
    ]);
    const json = run('rrdtool', [
      'xport',
      '--json',
      ...args,
      `DEF:a=${rrd}:in:AVERAGE`,
      `DEF:b=${rrd}:mem:AVERAGE`,
      'XPORT:a:in',
      'XPORT:b:mem',
    ]);
    writeFileSync(path.join(t.dir, 'fetch.txt'), fetch);
    const results = [
      [fetch, 'rrd-fetch'],
      [xml, 'rrd-xport-xml'],
      [json, 'rrd-xport-json'],
    ].map(([text, fmt]) => {
      assert.equal(detectFormat(text), fmt);
      return parseText(text, fmt);
    });
    for (const r of results) {
      const inS = matchSeries('in', r.series)[0];
      const vals = Array.from(inS.values).filter(Number.isFinite);
      assert.ok(vals.length >= 5, `${r.format}: values present`);
      assert.ok(
        vals.every((v) => Math.abs(v - 1000) < 1e-6),
        `${r.format}: 1000 B/s`,
      );
      assert.ok(Array.from(inS.values).some(Number.isNaN), `${r.format}: unknown rows are gaps`);
      assert.equal(inS.interval, 300);
    }
    const at = (r: (typeof results)[0], name: string) => {
      const s = matchSeries(name, r.series)[0];
      return new Map(Array.from(s.times).map((x, i) => [x, s.values[i]]));
    };
    const f = at(results[0], 'mem'),
      x = at(results[1], 'mem'),
      j = at(results[2], 'mem');
    for (const [ts, v] of f)
      if (Number.isFinite(v)) {
        close(x.get(ts)!, v, 1e-6, 'xml');
        close(j.get(ts)!, v, 1e-6, 'json');
      }
    // xport --enumds names the value elements <v0>, <v1>: the same numbers as plain xport
    const en = run('rrdtool', [
      'xport',
      '--enumds',
      ...args,
      `DEF:a=${rrd}:in:AVERAGE`,
      `DEF:b=${rrd}:mem:AVERAGE`,
      'XPORT:a:in',
      'XPORT:b:mem',
    ]);
    assert.match(en, /<v0>/);
    const re = parseText(en, 'enumds.xml');
    assert.equal(re.format, 'rrd-xport-xml');
    assert.deepEqual(
      re.series.map((s) => Array.from(s.values)),
      results[1].series.map((s) => Array.from(s.values)),
    );
    // fetch with its header line cut off (rrdtool fetch | tail -n +3): every row kept, columns ds0, ds1
    const headless = fetch.split('\n').slice(2).join('\n');
    assert.equal(detectFormat(headless), 'rrd-fetch');
    const rh = parseText(headless, 'headless.txt');
    const full = results[0];
    assert.deepEqual(
      rh.series.map((s) => s.name),
      ['ds0', 'ds1'],
    );
    assert.deepEqual(
      Array.from(rh.series[1].times),
      Array.from(full.series[1].times),
      'no row lost',
    );
    assert.deepEqual(Array.from(rh.series[1].values), Array.from(full.series[1].values));
    assert.ok(rh.problems.some((p) => /no DS-name header/.test(p.message)));
    // rrdtool 1.4-style JSON (unquoted keys, single quotes) still parses
    const old =
      "{ about: 'RRDtool xport JSON output', meta: { start: 1700000300, step: 300, end: 1700000900, legend: [ 'in' ] }, data: [ [ 1.0e+03 ], [ null ], ] }";
    const ro = parseText(old, 'old.json', { format: 'rrd-xport-json' });
    assert.equal(ro.series[0].values[0], 1000);
    assert.ok(Number.isNaN(ro.series[0].values[1]));
  } finally {
    t.done();
  }
});

test('sysstat: sadf -d and sadf -j of one sadc file give the same series', () => {
  const t = tmp();
  try {
    const sa = path.join(t.dir, 'sa');
    run('/usr/lib/sysstat/sadc', ['-S', 'ALL', '1', '3', sa]);
    const d = run('sadf', ['-d', sa, '--', '-r', '-n', 'DEV']);
    const j = run('sadf', ['-j', sa, '--', '-r', '-n', 'DEV']);
    assert.equal(detectFormat(d), 'sadf-d');
    assert.equal(detectFormat(j), 'sadf-json');
    const rd = parseText(d, 'sa.d'),
      rj = parseText(j, 'sa.json');
    const memD = rd.series.find((s) => /:kbmemused$/.test(s.name))!;
    const memJ = rj.series.find((s) => /memory:memused$/.test(s.name))!;
    assert.ok(memD && memJ, 'memory used in both');
    assert.equal(memD.unit, 'B');
    assert.equal(memJ.unit, 'B');
    assert.deepEqual(Array.from(memD.values), Array.from(memJ.values));
    assert.deepEqual(Array.from(memD.times), Array.from(memJ.times));
    assert.ok(memD.values[0] > 1e6, 'KiB converted to bytes');
    const lo = rd.series.find((s) => s.labels?.iface === 'lo' && s.labels?.column === 'rxkB/s');
    assert.ok(lo && lo.unit === 'B/s', 'per-interface rate in B/s');
    assert.equal(
      matchSeries(
        'lo',
        rj.series.filter((s) => s.labels?.column === 'rxkB'),
      ).length,
      1,
    );
  } finally {
    t.done();
  }
});

test('Prometheus matrix JSON fixture: labels become names, NaN is a gap', () => {
  const text = readFileSync(path.join(FIX, 'prom-range.json'), 'utf8');
  const r = parseText(text, 'prom-range.json');
  assert.equal(r.format, 'prometheus');
  assert.equal(r.series.length, 2);
  assert.equal(matchSeries('vps-1', r.series).length, 1);
  assert.ok(r.series.some((s) => Array.from(s.values).some(Number.isNaN)));
  assert.throws(
    () => parseText('{"status":"success","data":{"resultType":"vector","result":[]}}', 'v.json'),
    /matrix/,
  );
});

test('--counter on a CSV of raw octet counters: rates, wraps and a reset as a gap', () => {
  const text =
    'timestamp,series,value\n0,if1,4294967000\n300,if1,299704\n600,if1,600000\n900,if1,10\n1200,if1,300010\n';
  const r = parseText(text, 'c.csv', { counter: 32, maxRate: 1.25e6 });
  const v = Array.from(r.series[0].values);
  assert.deepEqual(
    v.map((x) => (Number.isNaN(x) ? null : Math.round(x))),
    [1000, 1001, null, 1000],
  );
  assert.ok(r.problems.some((p) => /reset/.test(p.message) && /c\.csv/.test(p.where)));
});

test('sysstat: sadf -d of sar -A keeps key columns as keys (CPU -1/0/1, INTR, TTY, IFACE, DEV) and agrees with sadf -j', () => {
  const t = tmp();
  try {
    const sa = path.join(t.dir, 'sa');
    run('/usr/lib/sysstat/sadc', ['-S', 'XALL', '1', '3', sa]);
    const d = parseText(run('sadf', ['-d', sa, '--', '-A']), 'sa.d');
    const j = parseText(run('sadf', ['-j', sa, '--', '-A']), 'sa.json');
    // before the fix every CPU merged into one vm:%usr series and a CPU series appeared
    assert.ok(
      !d.series.some(
        (s) =>
          s.labels?.column === 'CPU' || s.labels?.column === 'INTR' || s.labels?.column === 'TTY',
      ),
      'no key column read as data',
    );
    const cpus = d.series
      .filter((s) => s.labels?.column === '%usr')
      .map((s) => s.labels!.cpu)
      .sort();
    const jCpus = j.series
      .filter((s) => s.labels?.column === 'usr')
      .map((s) => s.labels!.cpu)
      .sort();
    assert.ok(
      cpus.length >= 2 && cpus.includes('all'),
      `one %usr series per CPU plus all: ${cpus}`,
    );
    assert.deepEqual(cpus, jCpus);
    const same = (
      what: string,
      dc: (s: (typeof d.series)[0]) => boolean,
      jc: (s: (typeof j.series)[0]) => boolean,
      key: (l: Record<string, string>) => string,
    ) => {
      const dm = new Map(d.series.filter(dc).map((s) => [key(s.labels!), s]));
      const jm = new Map(j.series.filter(jc).map((s) => [key(s.labels!), s]));
      assert.ok(dm.size > 0, `${what}: present in sadf -d`);
      assert.deepEqual([...dm.keys()].sort(), [...jm.keys()].sort(), `${what}: the same instances`);
      for (const [k, s] of dm) {
        const o = jm.get(k)!;
        assert.deepEqual(Array.from(s.times), Array.from(o.times), `${what} ${k}: times`);
        Array.from(s.values).forEach((v, i) =>
          close(v, o.values[i], 0.006 * Math.max(1, Math.abs(v)), `${what} ${k}[${i}]`),
        );
        assert.equal(s.unit, o.unit, `${what} ${k}: unit`);
      }
    };
    same(
      'cpu %usr',
      (s) => s.labels?.column === '%usr',
      (s) => s.labels?.column === 'usr' && 'cpu' in s.labels!,
      (l) => l.cpu,
    );
    same(
      'interrupts',
      (s) => 'intr' in s.labels!,
      (s) => 'intr' in s.labels!,
      (l) => `${l.intr}/${l.column}`,
    );
    same(
      'net rxkB/s',
      (s) => s.labels?.column === 'rxkB/s',
      (s) => s.labels?.column === 'rxkB',
      (l) => l.iface,
    );
    same(
      'tty rcvin/s',
      (s) => s.labels?.column === 'rcvin/s',
      (s) => s.labels?.column === 'rcvin',
      (l) => l.tty ?? l.line,
    );
    same(
      'disk tps',
      (s) => s.labels?.column === 'tps' && 'dev' in s.labels!,
      (s) => s.labels?.column === 'tps' && 'disk-device' in s.labels!,
      (l) => l.dev ?? l['disk-device'],
    );
    assert.equal(matchSeries('vm', []).length, 0);
  } finally {
    t.done();
  }
});
