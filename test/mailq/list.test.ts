import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Spool, hostops, sameAsExim, standardQueue } from './helpers.js';

const sp = new Spool();
after(() => sp.destroy());
const ids = standardQueue(sp);

test('list is byte-identical to exim -bp (frozen, D lines, bounce, huge, auth, split subdirectory)', () => {
  const r = sameAsExim(
    () => hostops(['mailq', 'list', '--spool', sp.dir]).stdout,
    () => sp.exim(['-bp']).stdout,
  );
  assert.equal(r.ours, r.theirs);
  assert.ok(r.equal);
  assert.match(r.ours, / \*\*\* frozen \*\*\*\n/);
  assert.match(r.ours, /\n        D bob@vm\n/);
  assert.match(r.ours, / <> \n|<>\n/);
  assert.match(r.ours, /  20M /);
  assert.ok(r.ours.includes(ids.subdir));
});

test('count equals exim -bpc', () => {
  assert.equal(hostops(['mailq', 'count', '--spool', sp.dir]).stdout, sp.exim(['-bpc']).stdout);
});

test('--json gives one object per message with envelope fields', () => {
  const lines = hostops(['mailq', 'list', '--spool', sp.dir, '--json'])
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, Object.keys(ids).length);
  const byId = new Map(lines.map((m) => [m.id, m]));
  assert.equal(byId.get(ids.frozen).frozen, true);
  assert.equal(byId.get(ids.bounce).sender, '');
  assert.equal(byId.get(ids.auth).authId, 'info@example.com');
  assert.equal(byId.get(ids.php).phpScript, 'site.example/wp-content/x.php for 203.0.113.9');
  assert.deepEqual(byId.get(ids.partial).recipients, [
    { address: 'bob@vm', delivered: true },
    { address: 'team@example.net', delivered: false },
  ]);
  assert.equal(byId.get(ids.subdir).subdir, ids.subdir[5]);
});

test('corrupt, truncated, NUL-filled and unreadable -H files are shown the way exim shows them; the rest is listed', () => {
  const bad = new Spool();
  try {
    const a = bad.inject('a@vm', ['x@example.org'], 'Subject: envelope broken\n');
    const b = bad.inject('b@vm', ['y@example.org'], 'Subject: header broken\n');
    const c = bad.inject('c@vm', ['z@example.org'], 'Subject: unreadable\n');
    const d = bad.inject('d@vm', ['w@example.org'], 'Subject: data file gone\n');
    const e = bad.inject('e@vm', ['v@example.org'], 'Subject: fine\n');
    const f = bad.inject('f@vm', ['u@example.org'], 'Subject: garbage\n');
    fs.writeFileSync(
      bad.file(a, '-H'),
      fs.readFileSync(bad.file(a, '-H'), 'latin1').split('\n').slice(0, 3).join('\n') + '\n',
    );
    const hb = fs.readFileSync(bad.file(b, '-H'));
    hb[hb.length - 5] = 0; // a NUL inside the headers: exim calls it a format error
    fs.writeFileSync(bad.file(b, '-H'), hb);
    const ch = bad.file(c, '-H');
    fs.rmSync(ch);
    fs.mkdirSync(ch); // read() fails with EISDIR, like an unreadable file
    fs.rmSync(bad.file(d, '-D'));
    fs.writeFileSync(bad.file(f, '-H'), Buffer.from([0xff, 0xfe, 0, 1, 2, 10, 10]));
    // a journal left by a delivery in progress (or a crash): its addresses show as delivered
    const g = bad.inject('g@vm', ['j1@example.org', 'j2@example.org'], 'Subject: journal\n');
    fs.writeFileSync(path.join(path.dirname(bad.file(g, '-H')), g + '-J'), 'j2@example.org\n');
    const r = sameAsExim(
      () => hostops(['mailq', 'list', '--spool', bad.dir]).stdout,
      () => bad.exim(['-bp']).stdout,
    );
    assert.equal(r.ours, r.theirs);
    assert.match(r.ours, /\*\*\* spool format error: size=\d+ \*\*\*/);
    assert.match(r.ours, /\*\*\* spool read error: Is a directory \*\*\*/);
    assert.ok(r.ours.includes(e));
    assert.match(r.ours, /\n          j1@example\.org\n        D j2@example\.org\n/);
    assert.equal(hostops(['mailq', 'count', '--spool', bad.dir]).stdout, bad.exim(['-bpc']).stdout);
    // nothing was touched
    assert.ok(
      fs.existsSync(bad.file(a, '-D')) &&
        fs.existsSync(bad.file(f, '-D')) &&
        fs.statSync(ch).isDirectory(),
    );
  } finally {
    bad.destroy();
  }
});

test('sender_set_untrusted shows the login; multi-line ACL variables are skipped by length, as exim does', () => {
  const u = new Spool();
  try {
    const id = u.inject('someone@example.com', ['x@example.org'], 'Subject: u\n');
    const h = u.file(id, '-H');
    fs.writeFileSync(
      h,
      fs
        .readFileSync(h, 'latin1')
        .replace(
          '-ident root\n',
          '-ident root\n-aclm 0 13\nXX\n-frozen\n2\n\n-sender_set_untrusted\n',
        ),
      'latin1',
    );
    const r = sameAsExim(
      () => hostops(['mailq', 'list', '--spool', u.dir]).stdout,
      () => u.exim(['-bp']).stdout,
    );
    assert.equal(r.ours, r.theirs);
    assert.match(r.ours, /<someone@example.com> \(root\)\n/); // and not frozen: "-frozen" was inside the value
  } finally {
    u.destroy();
  }
});

test('read-only commands work on a copied spool with no exim', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-mailq-copy-'));
  try {
    fs.cpSync(sp.dir, copy, { recursive: true });
    const env = { HOSTOPS_EXIM: '/nonexistent/exim', PATH: '/nonexistent' };
    const want = hostops(['mailq', 'list', '--spool', sp.dir]).stdout;
    const got = hostops(['mailq', 'list', '--spool', copy], env);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, want);
    assert.equal(
      hostops(['mailq', 'count', '--spool', copy], env).stdout.trim(),
      String(Object.keys(ids).length),
    );
    assert.match(hostops(['mailq', 'summary', '--spool', copy], env).stdout, /TOTAL/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('a missing spool is an environment error with a hint', () => {
  const r = hostops(['mailq', 'list', '--spool', '/nonexistent/spool']);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /no Exim spool at \/nonexistent\/spool/);
});

test('show prints headers, body and the message log', () => {
  const r = hostops(['mailq', 'show', ids.partial, '--spool', sp.dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Subject: partly delivered/);
  assert.match(r.stdout, /--- body\nhello\n/);
  assert.match(r.stdout, /bob@vm.*local_file transport succeeded|=> bob/);
});

test('list with ids prints those messages and names the ones not on the queue (exit 1)', () => {
  const r = hostops(['mailq', 'list', '--spool', sp.dir, ids.frozen, '1xVwEz-0001T5-2H']);
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    new RegExp(
      `^ ?\\d+[mhd] +\\S+ ${ids.frozen} <frozen@example.com> \\*\\*\\* frozen \\*\\*\\*\\n`,
    ),
  );
  assert.match(r.stderr, /message 1xVwEz-0001T5-2H is not on the queue/);
});
