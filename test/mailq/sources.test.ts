import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import zlib from 'node:zlib';
import { spawnSync, execFileSync } from 'node:child_process';
import { Spool, hostops, EXIM } from './helpers.js';
import { generateMainlog } from './fixtures/gen-mainlog.js';
import { sources } from '../../src/mailq/index.js';

const sp = new Spool();
after(() => sp.destroy());
const log = path.join(sp.dir, 'log', 'mainlog');

// a "PHP script" submitting from its directory, as sendmail -t -i does
// outside the spool: cwd= lines under the spool directory are exim's own re-executions
const siteRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-mailq-site-'));
const site = path.join(siteRoot, 'home', 'alice', 'public_html', 'wp');
fs.mkdirSync(site, { recursive: true });
after(() => fs.rmSync(siteRoot, { recursive: true, force: true }));
const spam =
  'From: alice@site.example\nTo: v1@example.org, v2@example.org\nSubject: spam\nX-PHP-Script: site.example/wp/mailer.php for 192.0.2.50\n\nbuy\n';
for (let i = 0; i < 3; i++) {
  const r = spawnSync(EXIM, [...sp.args, '-odq', '-t', '-i'], {
    cwd: site,
    input: spam,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}
sp.inject(
  'info@example.com',
  ['bob@example.net', 'carol@example.net'],
  'Subject: via auth\n',
  'x\n',
  ['-oMai', 'info@example.com', '-oMaa', 'dovecot_login', '-oMr', 'esmtpa', '-oMa', '203.0.113.5'],
);
const bounceId = sp.inject('', ['alice@example.net'], 'Subject: bounce\n');
sp.exim(['-M', bounceId]); // logs a cwd= line of an admin run, not a submission

const run = (...a: string[]) =>
  hostops([
    'mailq',
    'sources',
    '--spool',
    sp.dir,
    '-C',
    '/etc/exim4/hostops-test.conf',
    '-D',
    `SPOOL=${sp.dir}`,
    ...a,
  ]);

test('real exim mainlog: the script directory, AUTH user and queue join with a working rm selection', () => {
  const r = run('--log', log, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.argumentsLogging, true);
  const s = j.scripts.find((x: { cwd: string }) => x.cwd === site);
  assert.ok(s, JSON.stringify(j.scripts));
  assert.equal(s.submissions, 3);
  assert.equal(s.user, undefined); // not under /home
  const a = j.authUsers.find((x: { key: string }) => x.key === 'info@example.com');
  assert.equal(a.messages, 1);
  assert.equal(a.recipients, 2);
  assert.equal(a.queued, 1);
  assert.match(a.select, /^hostops mailq rm --auth /);
  const q = j.queuedScripts.find((x: { key: string }) => x.key === 'site.example/wp/mailer.php');
  assert.equal(q.queued, 3);
  // the printed selection selects exactly the script's queued messages
  const sel = q.select.replace(/^hostops mailq rm /, '').match(/^--script '(.*)'$/)[1];
  const ids = hostops(['mailq', 'list', '--spool', sp.dir, '--script', sel, '-i'])
    .stdout.trim()
    .split('\n');
  assert.equal(ids.length, 3);
  assert.ok(
    j.hourly.length >= 1 &&
      j.hourly.reduce((n: number, h: { messages: number }) => n + h.messages, 0) === j.messages,
  );
  // this process's directory: the two messages injected above are submissions, the -M run is an
  // admin run and not counted as a submission
  const admin = j.scripts.find((x: { cwd: string }) => x.cwd === process.cwd());
  assert.ok(admin, `no row for ${process.cwd()}: ${JSON.stringify(j.scripts)}`);
  assert.deepEqual([admin.submissions, admin.admin], [2, 1], JSON.stringify(admin));
});

test('rotated and gzipped logs, garbage and binary lines with file:line, seed false positives ignored', () => {
  const dir = path.join(sp.dir, 'rot');
  fs.mkdirSync(dir);
  const base = path.join(dir, 'exim_mainlog');
  generateMainlog(base, { bytes: 300_000, seed: 3, traps: true, garbage: true });
  generateMainlog(base + '-20261124', { bytes: 200_000, seed: 4 });
  generateMainlog(path.join(dir, 'tmp'), { bytes: 200_000, seed: 5 });
  fs.writeFileSync(base + '-20261117.gz', zlib.gzipSync(fs.readFileSync(path.join(dir, 'tmp'))));
  fs.rmSync(path.join(dir, 'tmp'));
  const lines = fs.readFileSync(base, 'latin1').split('\n');
  const firstGarbage = lines.findIndex((l) => l.startsWith('\u0000')) + 1;
  const r = run(
    '--log',
    base,
    '--log',
    base + '-20261124',
    '--log',
    base + '-20261117.gz',
    '--json',
    '--no-queue',
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.files.length, 3);
  assert.ok(j.garbage > 0);
  assert.match(r.stderr, /garbage line/);
  assert.equal(j.garbageSamples[0].file, base);
  assert.equal(j.garbageSamples[0].line, firstGarbage);
  // every file contributes: the three together count more than the current one alone
  const one = JSON.parse(run('--log', base, '--json', '--no-queue').stdout);
  const gz = JSON.parse(run('--log', base + '-20261117.gz', '--json', '--no-queue').stdout);
  assert.ok(gz.messages > 0);
  assert.ok(j.messages > one.messages + gz.messages);
  // the seed pipeline: GNU grep calls a log with a NUL byte binary and prints no lines at all
  const seed = (f: string) =>
    execFileSync(
      'sh',
      [
        '-c',
        `grep cwd ${f} | grep -v /var/spool | awk -F"cwd=" '{print $2}' | awk '{print $1}' | sort | uniq -c`,
      ],
      { encoding: 'latin1' },
    );
  assert.doesNotMatch(seed(base), /\/home\//);
  assert.ok(j.scripts.some((s: { cwd: string }) => s.cwd.startsWith('/home/')));
  // and it counts "cwd" inside addresses and subjects; we only read the cwd= field
  const traps = path.join(dir, 'traps.log');
  generateMainlog(traps, { bytes: 300_000, seed: 3, traps: true });
  assert.match(seed(traps), /trap@example\.com/);
  const t = JSON.parse(run('--log', traps, '--json', '--no-queue').stdout);
  assert.ok(
    !t.scripts.some((s: { cwd: string }) => s.cwd.includes('trap') || s.cwd.includes('fake')),
  );
});

test("--since/--until select a window in the log's local time", () => {
  const f = path.join(sp.dir, 'win.log');
  fs.writeFileSync(
    f,
    [
      '2026-11-24 09:59:59 1xVwEz-0001T5-2H <= a@x.example U=alice P=local S=1 T="a" for r@y.example',
      '2026-11-24 10:00:00 1xVwEz-0001T6-2H <= b@x.example U=alice P=local S=1 T="b" for r@y.example s@y.example',
      '2026-11-24 10:30:00 1xVwEz-0001T7-2H <= c@x.example U=bob P=local S=1 T="c \\" for x" for r@y.example',
      '2026-11-24 11:00:00 1xVwEz-0001T8-2H <= d@x.example U=bob P=local S=1 T="d" for r@y.example',
    ].join('\n') + '\n',
  );
  const j = JSON.parse(
    run(
      '--log',
      f,
      '--since',
      '2026-11-24T10:00:00',
      '--until',
      '2026-11-24T11:00:00',
      '--json',
      '--no-queue',
    ).stdout,
  );
  assert.equal(j.messages, 2);
  assert.equal(j.recipients, 3);
  assert.deepEqual(j.hourly, [{ hour: '2026-11-24 10', messages: 2, recipients: 3 }]);
  assert.equal(j.argumentsLogging, false);
  assert.match(j.argumentsHint, /\+arguments/);
});

test('an unreadable log is named and the others are still read; all unreadable is an environment error', () => {
  const good = path.join(sp.dir, 'good.log');
  fs.writeFileSync(
    good,
    '2026-11-24 10:00:00 1xVwEz-0001T6-2H <= b@x.example U=alice P=local S=1 T="b" for r@y.example\n',
  );
  const r = run('--log', path.join(sp.dir, 'missing.log'), '--log', good, '--json', '--no-queue');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.match(j.files[0].error, /ENOENT/);
  assert.equal(j.messages, 1);
  const bad = run('--log', path.join(sp.dir, 'missing.log'), '--no-queue');
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /missing\.log/);
});

test('worker ranges give the same report as one thread (line numbers included)', async () => {
  const f = path.join(sp.dir, 'big.log');
  generateMainlog(f, { bytes: 70 * 1024 * 1024, seed: 9, garbage: true });
  const a = await sources({ logs: [f], workers: 0 });
  const b = await sources({ logs: [f], workers: 2 });
  assert.deepEqual(b, a);
  fs.rmSync(f);
});

test('a truncated .gz log: what could be read is counted and the error is reported with the file', () => {
  const f = path.join(sp.dir, 'cut.gz');
  const lines =
    Array.from(
      { length: 2000 },
      (_, i) =>
        `2026-11-24 10:00:${String(i % 60).padStart(2, '0')} 1xVwEz-0001T6-2H <= b${i}@x.example U=alice P=local S=1 T="b" for r@y.example`,
    ).join('\n') + '\n';
  const gz = zlib.gzipSync(Buffer.from(lines));
  fs.writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const r = run('--log', f, '--json', '--no-queue');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.messages > 0 && j.messages < 2000, String(j.messages));
  assert.equal(j.garbageSamples[0].file, f);
  assert.match(j.garbageSamples[0].text, /gzip error/);
});

/** The real exim mainlog lines of this file's spool: arrivals and cwd= lines as exim wrote them. */
const realLines = () =>
  fs
    .readFileSync(log, 'latin1')
    .split('\n')
    .filter((l) => l.length);
const bothScanners = (...a: string[]) => {
  const n = run(...a);
  assert.equal(n.status, 0, n.stderr);
  const js = hostops(
    [
      'mailq',
      'sources',
      '--spool',
      sp.dir,
      '-C',
      '/etc/exim4/hostops-test.conf',
      '-D',
      `SPOOL=${sp.dir}`,
      ...a,
    ],
    { HOSTOPS_MAILQ_NATIVE: '0' },
  );
  assert.equal(js.stdout, n.stdout, 'the C and JS scanners give the same report');
  return n;
};

test('the arrivals window is the earliest and latest time seen, not the first and last arrival lines', () => {
  // real arrival lines re-stamped out of order, as in Exim's own test-suite logs (1999 and 2017 mixed)
  const arrivals = realLines()
    .filter((l) => / <= /.test(l))
    .map((l) => l.slice(20));
  assert.ok(arrivals.length >= 3);
  const f = path.join(sp.dir, 'unordered.log');
  fs.writeFileSync(
    f,
    [
      `1999-03-02 09:44:33 ${arrivals[0]}`,
      `2017-07-30 18:51:05 ${arrivals[1]}`,
      `1999-03-02 09:44:34 ${arrivals[2]}`,
    ].join('\n') + '\n',
  );
  const r = bothScanners('--log', f, '--json', '--no-queue');
  const j = JSON.parse(r.stdout);
  assert.equal(j.window.first, '1999-03-02 09:44:33');
  assert.equal(j.window.last, '2017-07-30 18:51:05');
  assert.deepEqual(
    j.hourly.map((h: { hour: string }) => h.hour),
    ['1999-03-02 09', '2017-07-30 18'],
  );
  const t = bothScanners('--log', f, '--no-queue');
  assert.match(t.stdout, /arrivals from 1999-03-02 09:44:33 to 2017-07-30 18:51:05\n/);
});

test('a cwd= line cut off before "N args:" is reported apart (count, file:line), not counted as a script directory', () => {
  const lines = realLines();
  const cwd = lines.find((l) => l.includes(`cwd=${site} `))!;
  assert.ok(cwd, "the real log has the script's cwd= line");
  const cutAt = cwd.indexOf('cwd=') + 6; // "cwd=/t" (or whatever the first characters of the path are)
  const f = path.join(sp.dir, 'cut-cwd.log');
  // one cut line in the middle (a crash mid-write, then exim went on), one at the very end (no newline)
  fs.writeFileSync(
    f,
    [...lines.slice(0, 3), cwd.slice(0, cutAt), ...lines.slice(3), cwd.slice(0, cutAt + 3)].join(
      '\n',
    ),
  );
  const j = JSON.parse(bothScanners('--log', f, '--json', '--no-queue').stdout);
  assert.equal(j.truncated, 2);
  assert.deepEqual(
    j.truncatedSamples.map((g: { file: string; line: number }) => [g.file, g.line]),
    [
      [f, 4],
      [f, lines.length + 2],
    ],
  );
  assert.equal(j.truncatedSamples[0].text, cwd.slice(cwd.indexOf('cwd='), cutAt));
  assert.ok(
    !j.scripts.some((s: { cwd: string }) => !s.cwd.startsWith(site) && site.startsWith(s.cwd)),
    JSON.stringify(j.scripts),
  );
  assert.equal(j.scripts.find((s: { cwd: string }) => s.cwd === site).submissions, 3);
  const t = bothScanners('--log', f, '--no-queue');
  assert.match(
    t.stdout,
    new RegExp(
      `\\n2 cwd= line\\(s\\) were cut off before their "N args:" part \\(not counted as script directories\\):\\n  ${f.replace(/[.]/g, '\\.')}:4: `,
    ),
  );
});

test("a log whose only cwd= lines are exim's re-executions from the spool says so in the text report", () => {
  const sp2 = new Spool();
  try {
    // exim run from its spool directory, as it re-executes itself for deliveries (-Mc) and queue runs
    const id = sp2.inject('news@bulk.example', ['a@example.net'], 'Subject: x\n');
    for (const argv of [['-M', id], ['-bpc'], ['-qf']]) {
      const r = spawnSync(EXIM, [...sp2.args, ...argv], { cwd: sp2.dir, encoding: 'latin1' });
      assert.equal(r.status, 0, r.stderr);
    }
    const log2 = path.join(sp2.dir, 'log', 'mainlog');
    const only = fs
      .readFileSync(log2, 'latin1')
      .split('\n')
      .filter((l) => !l.includes('cwd=') || l.includes(`cwd=${sp2.dir} `));
    fs.writeFileSync(log2, only.join('\n'));
    const a = ['mailq', 'sources', '--spool', sp2.dir, '--log', log2, '--no-queue'];
    const r = hostops(a);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(hostops(a, { HOSTOPS_MAILQ_NATIVE: '0' }).stdout, r.stdout);
    assert.match(
      r.stdout,
      /\nScripts: none\. All 3 cwd= line\(s\) are exim's own re-executions from the spool directory /,
    );
    assert.equal(JSON.parse(hostops([...a, '--json']).stdout).spoolReexecs, 3);
  } finally {
    sp2.destroy();
  }
});
