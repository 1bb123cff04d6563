/**
 * MRTG logs made by Debian's mrtg (its rateup writes the log), driven through an external-command
 * target whose counters we set, with libfaketime preloaded so that 5-minute polls and days pass in seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseText, detectFormat } from '../../src/capacity/input/index.js';
import { alignAll } from '../../src/capacity/series.js';
import { tmp, run } from './helpers.js';
import { faketimeAt, faketimeCleanup } from '../lib/faketime.js';

/** Polls mrtg at the given epoch seconds with the given in-octet counter (out = 2 x in). */
function mrtgLog(dir: string, polls: [number, number][]): string {
  const ctr = path.join(dir, 'counter');
  const script = path.join(dir, 'target.sh');
  writeFileSync(
    script,
    `#!/bin/sh\nn=$(cat ${ctr})\necho $n\necho $((n * 2))\necho "1 day"\necho test\n`,
  );
  chmodSync(script, 0o755);
  const cfg = path.join(dir, 'mrtg.cfg');
  writeFileSync(
    cfg,
    `WorkDir: ${dir}\nTarget[t]: \`${script}\`\nMaxBytes[t]: 125000000\nTitle[t]: t\nPageTop[t]: <h1>t</h1>\n`,
  );
  for (const [at, counter] of polls) {
    writeFileSync(ctr, `${counter}\n`);
    // mrtg warns on the first polls (no old log yet) and exits 0; its log is what we read
    const r = spawnSync('mrtg', [cfg], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'C', ...faketimeAt(at) },
      timeout: 60000,
    });
    faketimeCleanup(r.pid);
    if (r.error)
      throw new Error(
        `mrtg not runnable (Debian packages faketime and mrtg, scripts/apt-packages.txt): ${r.error.message}`,
      );
    if (r.status !== 0) throw new Error(`mrtg failed (${r.status}): ${r.stderr}`);
  }
  return readFileSync(path.join(dir, 't.log'), 'utf8');
}

test('MRTG log from mrtg itself: the zero-filled history of a new log is left out, peaks kept by in.max at a 300 s default step, B/s printed', () => {
  const t = tmp();
  try {
    const T0 = 1796083200; // 2026-12-01 00:00 UTC
    const polls: [number, number][] = [];
    let c = 1_000_000;
    // an hour of 5-min polls at 1000 B/s with one 5-minute burst at 100,000 B/s
    for (let k = 0; k <= 12; k++) {
      c += k === 6 ? 300 * 100_000 : 300 * 1000;
      polls.push([T0 + 300 * k, c]);
    }
    // then three days of 6-hourly polls: the burst hour falls out of the 5-min rows into 30-min rows
    for (let k = 1; k <= 12; k++) {
      c += 21600 * 1000;
      polls.push([T0 + 3600 + 21600 * k, c]);
    }
    const text = mrtgLog(t.dir, polls);
    const file = path.join(t.dir, 't.log');
    assert.equal(detectFormat(text, file), 'mrtg');
    const rows = text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(' ').map(Number));
    const zeros = rows.filter((r) => r[0] < T0 && r.slice(1).every((v) => v === 0)).length;
    assert.ok(zeros > 1500, `mrtg filled the new log with ${zeros} zero rows`);
    const peak = Math.max(...rows.map((r) => r[3]));
    const burstRow = rows.find((r) => r[3] === peak)!;
    assert.ok(
      burstRow[1] < peak / 2,
      `the burst sits in a consolidated row: avg ${burstRow[1]}, max ${peak}`,
    );

    const r = parseText(text, file);
    const inS = r.series.find((s) => s.name === 'in')!,
      inMax = r.series.find((s) => s.name === 'in.max')!;
    assert.ok(
      inS.times[0] >= T0,
      `history before the first real sample left out (first row ${new Date(inS.times[0] * 1000).toISOString()})`,
    );
    assert.ok(
      r.problems.some((p) =>
        /all-zero rows .* left out: MRTG fills a new log with zeros/.test(p.message),
      ),
      JSON.stringify(r.problems),
    );
    assert.equal(inS.unit, 'B/s');
    // the default grid keeps MRTG's 5-minute step and the max column's peak
    const al = alignAll([inMax]);
    assert.equal(al.step, 300);
    assert.equal(Math.max(...Array.from(al.series[0].values).filter(Number.isFinite)), peak);

    // the text report prints the unit the docs give (B/s), not "unit"
    const cli = spawnSync(
      process.execPath,
      ['bin/hostops.js', 'capacity', 'advise', file, '--series', 'in.max'],
      { encoding: 'utf8', timeout: 60000 },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`max ${peak.toFixed(2)} B/s;`));
    assert.doesNotMatch(cli.stdout, / unit\b/);
    assert.match(cli.stdout, /all-zero rows/);
  } finally {
    t.done();
  }
});

test('sadf: advise on a network series prints B/s, not "unit"', () => {
  const t = tmp();
  try {
    const sa = path.join(t.dir, 'sa');
    run('/usr/lib/sysstat/sadc', ['-S', 'DISK,SNMP', '1', '3', sa]);
    const d = path.join(t.dir, 'sa.d');
    writeFileSync(d, run('sadf', ['-d', sa, '--', '-n', 'DEV']));
    const name = parseText(readFileSync(d, 'utf8'), d).series.find(
      (s) => s.labels?.iface === 'lo' && s.labels?.column === 'rxkB/s',
    )!.name;
    const cli = spawnSync(
      process.execPath,
      ['bin/hostops.js', 'capacity', 'advise', d, '--series', name],
      { encoding: 'utf8', timeout: 60000 },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, / B\/s;/);
    assert.doesNotMatch(cli.stdout, / unit\b/);
  } finally {
    t.done();
  }
});
