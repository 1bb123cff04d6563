import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  formatSize,
  formatAge,
  parseHeaderFile,
  isMessageId,
  idTime,
  compileSelection,
  parseDuration,
  rotatedLogs,
  readQueue,
  formatBp,
  summarize,
  formatSummary,
  MainlogScanner,
} from '../../src/mailq/index.js';
import { recipientAddress } from '../../src/mailq/spool-parse.js';
import { compareSpoolNames } from '../../src/mailq/ids.js';
import { Spool, hostops, CONF } from './helpers.js';

test('formatSize follows string_format_size, with printf rounding of exact ties to even', () => {
  assert.equal(formatSize(0), '     ');
  assert.equal(formatSize(299), '  299');
  assert.equal(formatSize(7014), ' 6.8K');
  assert.equal(formatSize(2304), ' 2.2K'); // 2.25 exactly: glibc prints 2.2
  assert.equal(formatSize(2406), ' 2.3K');
  assert.equal(formatSize(10239), '10.0K');
  assert.equal(formatSize(10240), '  10K');
  assert.equal(formatSize(4052886), ' 3.9M');
  assert.equal(formatSize(20263379), '  19M');
});

test('formatAge: 90m, then 2h at 91 minutes, 72h, then 3d', () => {
  assert.equal(formatAge(90 * 60), '90m ');
  assert.equal(formatAge(91 * 60), ' 2h ');
  assert.equal(formatAge(72 * 3600 + 29 * 60), '72h ');
  assert.equal(formatAge(73 * 3600), ' 3d ');
  assert.equal(formatAge(100 * 86400), '100d ');
});

test('recipient lines: plain, Exim 3, early Exim 4 and the #1/#3 forms, read as spool_in.c does', () => {
  assert.equal(recipientAddress('bob@vm'), 'bob@vm');
  assert.equal(recipientAddress('bob@vm 1,2,3'), 'bob@vm');
  assert.equal(recipientAddress('bob@vm 7'), 'bob@vm');
  // spool_in.c steps back twice after the #1 data as well, so a lone #1 loses a character
  assert.equal(recipientAddress('bob@vm errors@x.example 16,-1#1'), 'bob@v');
  assert.equal(recipientAddress('bob@vm rfc822;bob@vm 13,1  0,-1#3'), 'bob@vm');
  assert.equal(recipientAddress('a b@vm  0,0  0,-1#3'), 'a b@vm');
});

test('ids: both lengths, base-62 time, exim order', () => {
  assert.ok(isMessageId('1xVwEz-0001TA-2J'));
  assert.ok(isMessageId('1xVwTs-000000002b4-1DYh'));
  assert.ok(!isMessageId('1xVwEz-0001TA-2J;'));
  assert.ok(!isMessageId('-Mrm'));
  assert.equal(idTime('1xVwEz-0001T5-2H'), 1795548705);
  const names = ['1xVwEz-0009ZZ-2K-H', '1xVwEz-0001AA-2J-H', '1xVwEy-0005AA-9z-H'];
  assert.deepEqual([...names].sort(compareSpoolNames), [
    '1xVwEy-0005AA-9z-H',
    '1xVwEz-0001AA-2J-H',
    '1xVwEz-0009ZZ-2K-H',
  ]);
});

test('a 23-character id spool file is parsed (4.97+ layout)', () => {
  const id = '1xVwTs-000000002b4-1DYh';
  const h = `${id}-H\nroot 0 0\n<root@vm>\n1795549000 0\n-received_time_usec .285875\n-frozen 1795549100\nXX\n1\nx@example.org\n\n012  Subject: hi\n`;
  const p = parseHeaderFile({ id, subdir: '', buf: Buffer.from(h), dataSize: id.length + 3 + 5 });
  assert.equal(p.msg.error, undefined);
  assert.equal(p.msg.frozen, true);
  assert.equal(p.msg.size, 12 + 5 + 1);
  assert.equal(p.msg.subject, 'hi');
});

test('acl variables with embedded newlines are skipped by length; a journal marks deliveries', () => {
  const id = '1xVwEz-0001TA-2J';
  const h = `${id}-H\nalice x 1001 1001\n<alice@vm>\n1795548705 0\n-aclm 0 11\nline1\nline2\n-auth_id al ice\nYY c@vm\nNN a@vm\nNN d@vm\n3\na@vm\nb@vm\nc@vm\n\n012  Subject: hi\n`;
  const p = parseHeaderFile({
    id,
    subdir: '',
    buf: Buffer.from(h),
    dataSize: 30,
    journal: Buffer.from('b@vm\n'),
  });
  assert.equal(p.msg.error, undefined, p.msg.error);
  assert.equal(p.msg.login, 'alice x');
  assert.equal(p.msg.authId, 'al ice');
  assert.deepEqual(
    p.msg.recipients.map((r) => r.delivered),
    [true, true, true],
  );
  assert.deepEqual(p.msg.extraDelivered, ['d@vm']);
});

test('selection semantics: sender in brackets, undelivered recipients, -H age', () => {
  const m = {
    id: 'x',
    time: 1000,
    size: 2000,
    sender: '',
    recipients: [{ address: 'a@b', delivered: true }],
    frozen: false,
    subdir: '',
  };
  assert.ok(compileSelection({ sender: '^<>$' })(m, '', 5000));
  assert.ok(!compileSelection({ recipient: 'a@b' })(m, '', 5000));
  assert.ok(compileSelection({ olderThan: 3999 })(m, '', 5000));
  assert.ok(!compileSelection({ olderThan: 4000 })(m, '', 5000));
  assert.ok(compileSelection({ sizeText: '^2\\.0K$' })(m, '', 5000));
  assert.equal(parseDuration('2h'), 7200);
  assert.throws(() => compileSelection({ subject: '(' }), /invalid subject/);
});

test('rotations are found newest first (Debian and cPanel names)', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-rot-'));
  try {
    for (const n of ['mainlog', 'mainlog.1', 'mainlog.2.gz', 'mainlog.10.gz', 'other'])
      fs.writeFileSync(path.join(d, n), '');
    assert.deepEqual(
      rotatedLogs(path.join(d, 'mainlog')).map((f) => path.basename(f)),
      ['mainlog', 'mainlog.1', 'mainlog.2.gz', 'mainlog.10.gz'],
    );
    for (const n of ['exim_mainlog', 'exim_mainlog-20261117.gz', 'exim_mainlog-20261124'])
      fs.writeFileSync(path.join(d, n), '');
    assert.deepEqual(
      rotatedLogs(path.join(d, 'exim_mainlog')).map((f) => path.basename(f)),
      ['exim_mainlog', 'exim_mainlog-20261124', 'exim_mainlog-20261117.gz'],
    );
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('paths come from exim -bP when no --spool is given (exim -C/-D passed on)', () => {
  const sp = new Spool();
  try {
    sp.inject('a@vm', ['x@example.org'], 'Subject: a\n');
    const r = hostops(['mailq', 'count', '-C', CONF, '-D', `SPOOL=${sp.dir}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1\n');
  } finally {
    sp.destroy();
  }
});

test('library: readQueue + summarize count per message; formatBp matches the CLI', async () => {
  const sp = new Spool();
  try {
    sp.inject('a@vm', ['x@example.org', 'y@example.org', 'z@other.example'], 'Subject: a\n');
    const q = await readQueue(sp.dir);
    const s = summarize(q);
    assert.deepEqual(
      s.domains.map((d) => [d.domain, d.count]),
      [
        ['example.org', 1],
        ['other.example', 1],
      ],
    );
    assert.match(formatSummary(s, Math.floor(Date.now() / 1000)), /    1  .{6}  .{6}  .{6}  TOTAL/);
    const now = Math.floor(Date.now() / 1000);
    assert.equal(formatBp(q[0], now), hostops(['mailq', 'list', '--spool', sp.dir]).stdout);
  } finally {
    sp.destroy();
  }
});

test('scanner: pid and zone prefixes, 23-character ids, continuation lines are not garbage', () => {
  const sc = new MainlogScanner({ spoolDirs: ['/var/spool/exim4'] });
  sc.feed(
    [
      '2026-11-24 10:00:00.123 +0100 [4242] 1xVwTs-000000002b4-1DYh <= a@b.example U=alice P=local S=1 for x@y.example',
      '2026-11-24 10:00:01 [4243] cwd=/home/alice/my site 4 args: /usr/sbin/sendmail -t -i',
      '2026-11-24 10:00:02 cwd=/var/spool/exim4 3 args: /usr/sbin/exim4 -Mc 1xVwEz-0001T5-2H',
      '2026-11-24 10:00:03 cwd=/root 2 args: exim -bpc',
      '...continued from a long line',
      '\u0000\u0000garbage',
    ].join('\n') + '\n',
  );
  const st = sc.st;
  assert.equal(st.messages, 1);
  assert.equal(st.localUsers.get('alice')?.messages, 1);
  assert.deepEqual(st.cwds.get('/home/alice/my site'), {
    invocations: 1,
    submissions: 1,
    admin: 0,
  });
  assert.deepEqual(st.cwds.get('/root'), { invocations: 1, submissions: 0, admin: 1 });
  assert.equal(st.spoolCwdLines, 1);
  assert.equal(st.garbage, 1);
  assert.equal(st.garbageSamples[0].line, 6);
});
