import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Spool, hostops, sameAsExim, standardQueue, CONF } from './helpers.js';

const sp = new Spool();
after(() => sp.destroy());
const ids = standardQueue(sp);
const audit = path.join(sp.dir, 'audit', 'audit.log');
const act = (...a: string[]) =>
  hostops([
    'mailq',
    ...a,
    '--spool',
    sp.dir,
    '-C',
    CONF,
    '-D',
    `SPOOL=${sp.dir}`,
    '--audit-log',
    audit,
  ]);
const auditLines = () =>
  fs
    .readFileSync(audit, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('rm ID removes through exim; our listing then equals exim -bp; audit records it', () => {
  const r = act('rm', ids.plain);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.ok(!sp.ids().includes(ids.plain));
  assert.ok(!fs.existsSync(path.join(sp.dir, 'msglog', ids.plain)));
  const cmp = sameAsExim(
    () => hostops(['mailq', 'list', '--spool', sp.dir]).stdout,
    () => sp.exim(['-bp']).stdout,
  );
  assert.ok(cmp.equal);
  const last = auditLines().at(-1);
  assert.equal(last.action, 'rm');
  assert.deepEqual(last.ids, [ids.plain]);
  assert.equal(last.results[ids.plain], 'done');
  assert.equal(last.user, 'root');
  assert.ok(Date.parse(last.time) > 0);
});

test('an invalid id is refused before exim runs', () => {
  const r = act('rm', '-bogus');
  assert.equal(r.status, 2);
  const r2 = act('rm', '1xW87E-0002c9-2l;rm');
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /not an Exim message id/);
});

test('bulk by selection previews by default and touches nothing; --yes acts; unselected files stay byte-identical', () => {
  const before = sp.snapshot();
  const p = act('rm', '-r', 'example\\.org$');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /2 message\(s\) would be removed\. Run again with --yes/);
  assert.deepEqual(sp.snapshot(), before);
  const y = act('rm', '-r', 'example\\.org$', '--yes');
  assert.equal(y.status, 0, y.stderr + y.stdout);
  assert.match(y.stdout, /2 of 2 message\(s\) removed/);
  const after = sp.snapshot();
  for (const gone of [ids.frozen, ids.php]) assert.ok(!sp.ids().includes(gone));
  for (const [f, h] of after) assert.equal(before.get(f), h, `${f} changed`);
  for (const [f] of before)
    if (![ids.frozen, ids.php].some((i) => f.includes(i))) assert.ok(after.has(f), `${f} vanished`);
});

test('a locked message is reported, not forced, and its files stay', async () => {
  const id = ids.auth;
  const d = sp.file(id, '-D');
  // hold exim's lock: fcntl F_WRLCK on the first line of -D (what a delivery process does)
  const holder = spawn(
    'python3',
    [
      '-c',
      `import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDWR)\nfcntl.lockf(fd,fcntl.LOCK_EX|fcntl.LOCK_NB,${id.length + 3},0)\nprint('locked',flush=True)\ntime.sleep(30)`,
      d,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
    });
    const before = sp.snapshot();
    const r = act('rm', id, ids.bounce);
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`${id}: locked: Message ${id} is locked`));
    assert.match(r.stdout, /1 of 2 message\(s\) removed, 1 not/);
    assert.ok(sp.ids().includes(id));
    for (const [f, h] of before) if (f.includes(id)) assert.equal(sp.snapshot().get(f), h);
    assert.equal(auditLines().at(-1).results[id], 'locked');
  } finally {
    holder.kill();
  }
});

test('freeze and thaw by id; exim\'s "already" answers are no-ops', () => {
  let r = act('freeze', ids.huge);
  assert.equal(r.status, 0, r.stdout);
  assert.match(
    sp.exim(['-bp']).stdout,
    new RegExp(`${ids.huge} <big@example.com> \\*\\*\\* frozen \\*\\*\\*`),
  );
  r = act('freeze', ids.huge);
  assert.match(r.stdout, /noop: Message .* is already frozen/);
  r = act('thaw', ids.huge);
  assert.equal(r.status, 0);
  assert.match(fs.readFileSync(sp.file(ids.huge, '-H'), 'latin1'), /\n-manual_thaw\n/);
  assert.doesNotMatch(
    sp.exim(['-bp']).stdout,
    new RegExp(`${ids.huge} <big@example.com> \\*\\*\\*`),
  );
});

test('deliver runs a delivery attempt: local recipients are delivered, remote ones stay', () => {
  const id = sp.inject('x@example.com', ['carol@vm', 'far@example.net'], 'Subject: deliver me\n');
  const r = act('deliver', id);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const j = hostops(['mailq', 'list', '--spool', sp.dir, '--json', id]).stdout.trim();
  assert.deepEqual(JSON.parse(j).recipients, [
    { address: 'carol@vm', delivered: true },
    { address: 'far@example.net', delivered: false },
  ]);
});

test('--all previews the whole queue; --all --yes empties it; nothing else needs exim', () => {
  const n = sp.ids().length;
  const p = act('rm', '--all', '--json');
  assert.equal(JSON.parse(p.stdout).count, n);
  assert.equal(sp.ids().length, n);
  const r = act('rm', '--all', '--yes', '--batch', '2');
  assert.equal(r.status, 0, r.stdout);
  assert.equal(sp.exim(['-bpc']).stdout.trim(), '0');
  assert.ok(auditLines().filter((l) => l.selection?.all).length >= Math.ceil(n / 2));
});

test('no selection is a usage error; the audit log env var is honoured', () => {
  const r = hostops(['mailq', 'rm', '--spool', sp.dir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nothing selected/);
  const alt = path.join(sp.dir, 'alt-audit.log');
  const id = sp.inject('y@example.com', ['a@example.net'], 'Subject: env audit\n');
  const x = hostops(['mailq', 'rm', id, '--spool', sp.dir, '-C', CONF, '-D', `SPOOL=${sp.dir}`], {
    HOSTOPS_AUDIT_LOG: alt,
  });
  assert.equal(x.status, 0, x.stdout + x.stderr);
  assert.equal(JSON.parse(fs.readFileSync(alt, 'utf8').trim()).ids[0], id);
});
