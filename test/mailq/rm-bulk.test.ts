import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Spool, hostops, CONF } from './helpers.js';
import { planBatches, classify, runAction, ARGV_BUDGET } from '../../src/mailq/actions.js';

const sp = new Spool();
after(() => sp.destroy());
const audit = path.join(sp.dir, 'audit', 'audit.log');
const mainlog = () => fs.readFileSync(path.join(sp.dir, 'log', 'mainlog'), 'latin1');

test('planBatches: an explicit size is kept; by default batches fit the argv budget and are spread over the jobs', () => {
  const ids = Array.from(
    { length: 20_000 },
    (_, i) => `1xYz${String(i % 100).padStart(2, '0')}-${String(i).padStart(6, '0')}-0${i % 10}`,
  );
  const fixed = ['/usr/sbin/exim4', '-C', CONF, '-Mrm'];
  assert.deepEqual(
    planBatches(ids.slice(0, 7), fixed, 2, 3).map((b) => b.length),
    [3, 3, 1],
  );
  const auto = planBatches(ids, fixed, 2);
  assert.deepEqual(auto.flat(), ids, 'every id once, in order');
  for (const b of auto)
    assert.ok(b.reduce((a, id) => a + id.length + 9, 0) <= ARGV_BUDGET, 'a batch fits the budget');
  assert.ok(
    auto.length >= 8 && auto.length <= 12,
    `${auto.length} batches for 20,000 ids over 2 jobs`,
  );
  const big = Array.from({ length: 100_000 }, (_, i) => ids[i % ids.length]);
  const many = planBatches(big, fixed, 2);
  assert.ok(many.every((b) => b.reduce((a, id) => a + id.length + 9, 0) <= ARGV_BUDGET));
  assert.equal(many.flat().length, 100_000);
  assert.deepEqual(
    planBatches(ids.slice(0, 30), fixed, 2).map((b) => b.length),
    [30],
    'a small selection is one exim run',
  );
});

test('classify: each id gets only the lines naming it, 16- and 23-character ids alike', () => {
  const a = '1xYz08-0000GN-0F';
  const b = '1xVwTs-000000002b4-1DYh';
  const out = `Message ${a} has been removed\nMessage ${b} is locked\n`;
  assert.deepEqual(
    classify(
      'rm',
      [a, b, '1xYz08-0000GR-0J'],
      out,
      'Message 1xYz08-0000GR-0J has been removed or did not exist\n',
      1,
    ),
    [
      { id: a, status: 'done', detail: `Message ${a} has been removed` },
      { id: b, status: 'locked', detail: `Message ${b} is locked` },
      {
        id: '1xYz08-0000GR-0J',
        status: 'missing',
        detail: 'Message 1xYz08-0000GR-0J has been removed or did not exist',
      },
    ],
  );
});

test('bulk rm in parallel batches: the selection goes, the rest stays byte-identical, exim logs each removal, a locked message is reported', async () => {
  const spam: string[] = [];
  const other: string[] = [];
  for (let i = 0; i < 23; i++)
    spam.push(sp.inject('spam@bulk.example', [`v${i}@example.net`], `Subject: offer ${i}\n`));
  for (let i = 0; i < 6; i++)
    other.push(sp.inject(`user${i}@example.com`, ['bob@example.net'], `Subject: keep ${i}\n`));
  const locked = spam[11];
  // hold exim's lock on one selected message, as a delivery process does (fcntl on -D's first line)
  const holder = spawn(
    'python3',
    [
      '-c',
      `import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDWR)\nfcntl.lockf(fd,fcntl.LOCK_EX|fcntl.LOCK_NB,${locked.length + 3},0)\nprint('locked',flush=True)\ntime.sleep(60)`,
      sp.file(locked, '-D'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
    });
    const before = sp.snapshot();
    const r = hostops([
      'mailq',
      'rm',
      '--spool',
      sp.dir,
      '-C',
      CONF,
      '-D',
      `SPOOL=${sp.dir}`,
      '--audit-log',
      audit,
      '-f',
      '^<spam@bulk\\.example>$',
      '--yes',
      '--batch',
      '4',
      '--jobs',
      '2',
    ]);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.equal(r.stderr, '', 'no progress bar when not on a TTY');
    assert.match(r.stdout, new RegExp(`^${locked}: locked: Message ${locked} is locked$`, 'm'));
    assert.match(r.stdout, /22 of 23 message\(s\) removed, 1 not \(see above\)\n$/);
    const left = sp.ids();
    assert.deepEqual(left, [...other, locked].sort());
    const after = sp.snapshot();
    for (const [f, h] of before)
      if ([...other, locked].some((id) => f.includes(id)))
        assert.equal(after.get(f), h, `${f} changed`);
    const log = mainlog();
    for (const id of spam) {
      const removed = new RegExp(`^\\S+ \\S+ ${id} removed by root$`, 'm').test(log);
      const completed = new RegExp(`^\\S+ \\S+ ${id} Completed$`, 'm').test(log);
      assert.equal(removed, id !== locked, `${id} removed by root`);
      assert.equal(completed, id !== locked, `${id} Completed`);
    }
    for (const id of other) assert.doesNotMatch(log, new RegExp(`${id} (removed|Completed)`));
    const recs = fs
      .readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(recs.length, 6, 'one audit record per batch of 4');
    assert.deepEqual(recs.flatMap((x) => x.ids).sort(), [...spam].sort());
    assert.equal(recs.find((x) => x.ids.includes(locked)).results[locked], 'locked');
  } finally {
    holder.kill();
  }
});

test('runAction reports progress per exim answer line, up to the total', async () => {
  const ids = [0, 1, 2, 3, 4].map((i) =>
    sp.inject('p@bulk.example', ['x@example.net'], `Subject: p${i}\n`),
  );
  const seen: number[] = [];
  const res = await runAction('freeze', ids, {
    eximArgs: ['-C', CONF, `-DSPOOL=${sp.dir}`],
    auditLog: audit,
    batchSize: 2,
    onProgress: (d, total) => {
      assert.equal(total, 5);
      seen.push(d);
    },
  });
  assert.deepEqual(
    res.map((x) => [x.id, x.status]),
    ids.map((id) => [id, 'done']),
  );
  assert.equal(seen.at(-1), 5);
  assert.ok(seen.every((d, i) => i === 0 || d >= seen[i - 1]));
});

test('a progress bar is drawn on a terminal (and only there) while exim removes a large selection', async () => {
  const { generateSpool } = await import('./fixtures/gen-spool.js');
  const { execFileSync, spawnSync } = await import('node:child_process');
  const { ROOT } = await import('./helpers.js');
  const dir = fs.mkdtempSync(path.join(sp.dir, 'tty-'));
  generateSpool(dir, { count: 300 });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', dir]);
  const args = [
    'mailq',
    'rm',
    '--spool',
    dir,
    '-C',
    CONF,
    '-D',
    `SPOOL=${dir}`,
    '--audit-log',
    audit,
    '--all',
    '--yes',
  ];
  const cmd = [process.execPath, path.join(ROOT, 'bin', 'hostops.js'), ...args]
    .map((a) => `'${a}'`)
    .join(' ');
  const env = { ...process.env };
  delete env.CI;
  // script(1) gives the command a pseudo-terminal for stdout and stderr
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'latin1', env });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /rm \[[^\]]*\] 100% 300\/300/);
  assert.match(r.stdout, /300 of 300 message\(s\) removed/);
  assert.equal(fs.readdirSync(path.join(dir, 'input')).length, 0);
});

test('when an audit record cannot be written, no job starts another batch', async () => {
  const ids = Array.from({ length: 10 }, (_, i) =>
    sp.inject('full@bulk.example', ['x@example.net'], `Subject: f${i}\n`),
  );
  // /dev/full opens for appending but every write fails with ENOSPC
  await assert.rejects(
    runAction('freeze', ids, {
      eximArgs: ['-C', CONF, `-DSPOOL=${sp.dir}`],
      auditLog: '/dev/full',
      batchSize: 2,
      jobs: 2,
    }),
    /ENOSPC|no space/i,
  );
  // nothing may still be running once runAction has answered: give a stray job time to show
  await new Promise((r) => setTimeout(r, 3000));
  const frozen = ids.filter((id) =>
    /\n-frozen \d+\n/.test(fs.readFileSync(sp.file(id, '-H'), 'latin1')),
  );
  assert.ok(
    frozen.length > 0 && frozen.length <= 4,
    `${frozen.length} frozen: only the two batches already running`,
  );
});
