/**
 * exipick's selections (criteria, --or, !, --not), exiqgrep's -R and exim's named queues (-G):
 * real exim builds the queues (a named one through the test config's `queue = QUEUE` ACL), real
 * exipick and exim -bp answer on the same spool, and hostops must give the same ids and bytes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Spool, hostops, standardQueue, sameAsExim } from './helpers.js';

const sp = new Spool();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-exipick-'));
after(() => {
  sp.destroy();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const ids = standardQueue(sp);
ids.multi = sp.inject(
  'list@example.com',
  ['a@example.org', 'b@example.org', 'c@example.net'],
  'Subject: =?UTF-8?Q?caf=C3=A9_news?=\nTo: a@example.org,\n b@example.org\nCc: c@example.net\n',
);
ids.local = sp.inject('root@vm', ['ops@example.org'], 'Subject: cron output\n');

// the named queue "test": messages put there by exim itself (acl_not_smtp_start: queue = test)
const named: string[] = [];
for (const [from, to, subj] of [
  ['n1@example.com', 'x@example.net', 'one'],
  ['n2@other.example', 'y@example.org', 'two'],
  ['', 'z@example.net', 'bounce'],
  ['n4@example.com', 'w@example.org', 'four'],
]) {
  sp.exim(['-DQUEUE=test', '-odq', '-f', from, to], `Subject: ${subj}\n\nbody\n`);
}
for (const n of fs.readdirSync(path.join(sp.dir, 'test', 'input')))
  if (n.endsWith('-H')) named.push(n.slice(0, -2));
sp.exim(['-qGtest', '-Mf', named.sort()[1]]);

const exipick = (...a: string[]) =>
  execFileSync('/usr/sbin/exipick', ['--spool', sp.dir, ...a], { encoding: 'latin1' });
const ours = (...a: string[]) => {
  const r = hostops(['mailq', ...a]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};
const sorted = (s: string) => s.split('\n').filter(Boolean).sort();
const allIds = sorted(exipick('-i'));

const cases: string[][] = [
  ['$sender_address =~ /example\\.com$/'],
  ['!$sender_address =~ /example/'],
  ['--or', '$deliver_freeze', '$sender_address eq ""'],
  ['$message_size > 10K'],
  ['$message_age < 1h', '!$deliver_freeze'],
  ['--or', '$recipients =~ /example\\.org/', '$authenticated_id = INFO'],
  ['--or', '!$recipients =~ /example\\.org/', '$sender_address_domain eq vm'],
  ['$h_subject = pills'],
  ['$bh_subject =~ /^café news$/'],
  ['$header_to =~ /b@example\\.org/'],
  ['--not', '$deliver_freeze'],
  ['--not', '--or', '$deliver_freeze', '$shown_message_size =~ /M$/'],
  ['$recipients_count >= 2', '$recipients_undel_count < 2'],
  ['$recipients_del =~ /bob@vm/'],
  ['each_recipients =~ /example\\.org$/'],
  ['each_recipients =~ /@example\\.(org|net)$/', '$sender_address =~ /list/'],
  ['--or', 'each_recipients_undel =~ /^victim/', '$received_protocol eq esmtpa'],
  ['$sender_host_address eq 203.0.113.5'],
  ['$originator_login eq root', '$sender_address_local_part = ^(alice|root)$'],
  ['--caseful', '$sender_address = INFO'],
  ['--or', '-z', '$sender_address =~ /^wp@/'],
  ['$message_age >= 0'], // the whole queue
  ['--or', '$deliver_freeze', '!$deliver_freeze'], // the whole queue
  ['!$message_exim_id eq x'], // the whole queue
];

for (const c of cases) {
  test(`select ${c.join(' ')}: the same ids as exipick`, () => {
    const want = sorted(exipick('-i', ...c));
    assert.deepEqual(sorted(ours('select', '--spool', sp.dir, '-i', ...c)), want);
    // the same criteria through --where on list, and exipick's -c line
    const w = c.flatMap((x) => (x.startsWith('-') ? [x] : ['--where', x]));
    assert.deepEqual(sorted(ours('list', '--spool', sp.dir, '-i', ...w)), want);
    assert.equal(ours('list', '--spool', sp.dir, '-c', ...w), exipick('-c', ...c));
  });
}

test('the cases cover empty, partial and whole-queue selections', () => {
  const sizes = cases.map((c) => sorted(exipick('-i', ...c)).length);
  assert.ok(sizes.includes(0) || sizes.some((n) => n > 0 && n < allIds.length));
  assert.ok(sizes.filter((n) => n === allIds.length).length >= 3, `${sizes} of ${allIds.length}`);
  assert.ok(sizes.filter((n) => n > 0 && n < allIds.length).length >= 15, String(sizes));
  assert.ok(allIds.length >= 10);
});

test('a criterion that does not parse, or names a variable hostops does not read, is a usage error', () => {
  for (const bad of [
    '$message_age > soon',
    '$no_such_variable',
    '$sender_address =~ notaregex',
    '$sender_address =~ /a/x',
    '$each_recipients =~ /a/',
  ]) {
    const r = hostops(['mailq', 'select', '--spool', sp.dir, bad]);
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /MAILQ_BAD_EXPRESSION/);
  }
});

test('-R: exim -bp order reversed, as exipick -R and exiqgrep -R', () => {
  const fwd = ours('list', '--spool', sp.dir, '-i').split('\n').filter(Boolean);
  assert.deepEqual(
    ours('list', '--spool', sp.dir, '-i', '-R').split('\n').filter(Boolean),
    [...fwd].reverse(),
  );
  assert.deepEqual(
    ours('list', '--spool', sp.dir, '-i', '-R', '--no-index').split('\n').filter(Boolean),
    [...fwd].reverse(),
  );
  assert.deepEqual(
    sorted(ours('list', '--spool', sp.dir, '-i', '-R')),
    sorted(exipick('-i', '-R')),
  );
  // the -bp blocks of exim, last first, byte for byte
  const blocks = (s: string) => s.split(/(?<=\n\n)/).filter(Boolean);
  const r = sameAsExim(
    () => ours('list', '--spool', sp.dir, '-R'),
    () =>
      blocks(sp.exim(['-bp']).stdout)
        .reverse()
        .join(''),
  );
  assert.ok(r.equal, `ours:\n${r.ours}\nexim reversed:\n${r.theirs}`);
  assert.deepEqual(
    ours('select', '--spool', sp.dir, '-i', '-R', '!$deliver_freeze').split('\n').filter(Boolean),
    ours('select', '--spool', sp.dir, '-i', '!$deliver_freeze')
      .split('\n')
      .filter(Boolean)
      .reverse(),
  );
});

test('-G test: list and count of the named queue are exim -bp -qGtest and -bpc -qGtest', () => {
  assert.equal(named.length, 4);
  const r = sameAsExim(
    () => ours('list', '--spool', sp.dir, '-G', 'test'),
    () => sp.exim(['-bp', '-qGtest']).stdout,
  );
  assert.ok(r.equal, `ours:\n${r.ours}\nexim:\n${r.theirs}`);
  assert.match(r.ours, /\*\*\* frozen \*\*\*/);
  assert.equal(ours('count', '--spool', sp.dir, '-G', 'test'), sp.exim(['-bpc', '-qGtest']).stdout);
  assert.equal(ours('count', '--spool', sp.dir, '-G', 'test'), '4\n');
  // the default queue is still the default queue
  const d = sameAsExim(
    () => ours('list', '--spool', sp.dir),
    () => sp.exim(['-bp']).stdout,
  );
  assert.ok(d.equal);
  assert.equal(ours('count', '--spool', sp.dir), sp.exim(['-bpc']).stdout);
  for (const c of [
    ['$sender_address =~ /example\\.com$/'],
    ['--or', '$deliver_freeze', '$sender_address eq ""'],
    ['!$deliver_freeze'],
  ]) {
    assert.deepEqual(
      sorted(ours('select', '--spool', sp.dir, '-G', 'test', '-i', ...c)),
      sorted(exipick('--queue', 'test', '-i', ...c)),
      c.join(' '),
    );
  }
  const e = hostops(['mailq', 'list', '--spool', sp.dir, '-G', 'tset']);
  assert.equal(e.status, 3);
  assert.match(e.stderr, /MAILQ_NO_QUEUE/);
  assert.match(e.stderr, /named queues here: test/);
  assert.equal(hostops(['mailq', 'list', '--spool', sp.dir, '-G', '../x']).status, 2);
});

test("rm -G test with an exipick selection removes exactly exipick's ids from the named queue, nothing else", () => {
  const sel = ['--or', '$deliver_freeze', '$sender_address eq ""'];
  const want = sorted(exipick('--queue', 'test', '-i', ...sel));
  assert.equal(want.length, 2);
  const defaultBefore = sorted(exipick('-i'));
  const preview = ours(
    'rm',
    '--spool',
    sp.dir,
    '-C',
    '/etc/exim4/hostops-test.conf',
    `-DSPOOL=${sp.dir}`,
    '-G',
    'test',
    '--where',
    sel[1],
    '--where',
    sel[2],
    '--or',
    '--json',
  );
  assert.deepEqual([...JSON.parse(preview).ids].sort(), want);
  const audit = path.join(tmp, 'audit.log');
  ours(
    'rm',
    '--spool',
    sp.dir,
    '-C',
    '/etc/exim4/hostops-test.conf',
    `-DSPOOL=${sp.dir}`,
    '-G',
    'test',
    '--where',
    sel[1],
    '--where',
    sel[2],
    '--or',
    '--yes',
    '--audit-log',
    audit,
  );
  const left = sorted(exipick('--queue', 'test', '-i'));
  assert.deepEqual(left, named.filter((i) => !want.includes(i)).sort());
  assert.deepEqual(
    sorted(
      sp
        .exim(['-bp', '-qGtest'])
        .stdout.split('\n')
        .map((l) => /^\s*\S+\s+\S*\s+(\S{16,23}) </.exec(l)?.[1] ?? '')
        .join('\n'),
    ),
    left,
  );
  assert.deepEqual(sorted(exipick('-i')), defaultBefore);
  assert.match(fs.readFileSync(audit, 'utf8'), /-qGtest/);
  // and by id in the named queue
  ours(
    'rm',
    '--spool',
    sp.dir,
    '-C',
    '/etc/exim4/hostops-test.conf',
    `-DSPOOL=${sp.dir}`,
    '-G',
    'test',
    left[0],
    '--audit-log',
    audit,
  );
  assert.deepEqual(sorted(exipick('--queue', 'test', '-i')), left.slice(1));
});

test("rm with an exipick --or/! selection on the default queue removes exactly exipick's ids", () => {
  const sel = ['--or', '!$recipients =~ /example\\.(org|net)/', '$h_subject = cold'];
  const before = sorted(exipick('-i'));
  const want = sorted(exipick('-i', ...sel));
  assert.ok(want.length > 0 && want.length < before.length, String(want));
  ours(
    'rm',
    '--spool',
    sp.dir,
    '-C',
    '/etc/exim4/hostops-test.conf',
    `-DSPOOL=${sp.dir}`,
    '--where',
    sel[1],
    '--where',
    sel[2],
    '--or',
    '--yes',
    '--audit-log',
    path.join(tmp, 'audit2.log'),
  );
  assert.deepEqual(
    sorted(exipick('-i')),
    before.filter((i) => !want.includes(i)),
  );
});
