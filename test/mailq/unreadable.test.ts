/**
 * A message whose -H cannot be read has no envelope: no selection matches it (its size 0 and
 * frozen=false are placeholders), bulk actions leave it alone and list it apart, and only its id
 * (or rm --include-unreadable) removes it. Checked with real exim, which still sees it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spool, hostops, CONF } from './helpers.js';

const sp = new Spool();
const audit = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-unread-audit-'));
after(() => {
  sp.destroy();
  fs.rmSync(audit, { recursive: true, force: true });
});
const env = { HOSTOPS_AUDIT_LOG: path.join(audit, 'audit.log') };
const mq = (...a: string[]) =>
  hostops(['mailq', ...a, '--spool', sp.dir, '-C', CONF, '-D', `SPOOL=${sp.dir}`], env);

const good = sp.inject('small@example.com', ['b@example.org'], 'Subject: small\n', 'x\n');
const garbage = sp.inject('other@example.com', ['d@example.org'], 'Subject: soon garbage\n', 'x\n');
const dirH = sp.inject(
  'third@example.com',
  ['e@example.org'],
  'Subject: soon a directory\n',
  'x\n',
);
// one -H turned into garbage (exim: spool format error), one that cannot be read at all (EISDIR)
fs.writeFileSync(sp.file(garbage, '-H'), 'garbage, no envelope here\n');
const dirHPath = sp.file(dirH, '-H');
fs.rmSync(dirHPath);
fs.mkdirSync(dirHPath);
const unread = [garbage, dirH].sort();

const eximSees = (id: string) => sp.exim(['-bp']).stdout.includes(id);

test('exim still lists both messages (as errors)', () => {
  const bp = sp.exim(['-bp']).stdout;
  assert.match(bp, new RegExp(`${garbage}\\n    \\*\\*\\* spool format error`));
  assert.ok(bp.includes(dirH));
});

test('no envelope selection matches them: list -i, -c, from the spool and from the index', () => {
  for (const crit of [
    ['--max-size', '100'],
    ['-x'],
    ['-f', '.*'],
    ['-f', '^<>$'],
    ['--bounces'],
    ['-o', '0'],
    ['-s', '.*'],
    ['--min-size', '0'],
  ]) {
    for (const extra of [[], ['--no-index']]) {
      const r = mq('list', ...crit, '-i', ...extra);
      assert.equal(r.status, 0, r.stderr);
      for (const id of unread)
        assert.ok(!r.stdout.includes(id), `${crit.join(' ')} ${extra.join(' ')} selected ${id}`);
    }
  }
  // by id they are still found, and the plain listing shows them as exim does
  assert.deepEqual(
    mq('list', garbage, dirH, '-i').stdout.split('\n').filter(Boolean).sort(),
    unread,
  );
  for (const id of unread) assert.ok(mq('list').stdout.includes(id));
});

test('rm/freeze/thaw/deliver by selection: the preview lists them apart; --yes leaves them on the queue', () => {
  const p = mq('rm', '--max-size', '1K');
  assert.equal(p.status, 0, p.stderr);
  assert.match(
    p.stdout,
    /1 message\(s\) would be removed\. Run again with --yes to do it\.\n\nNot selected: 2 message\(s\) whose -H file cannot be read \(no envelope to match\):\n/,
  );
  assert.match(
    p.stdout,
    /Remove them by id \(hostops mailq rm ID\.\.\.\) or add --include-unreadable\.\n$/,
  );
  const j = JSON.parse(mq('rm', '--all', '--json').stdout);
  assert.deepEqual(j.ids, [good]);
  assert.deepEqual(j.unreadable.map((u: { id: string }) => u.id).sort(), unread);
  for (const [action, crit] of [
    ['freeze', ['-x']],
    ['deliver', ['--max-size', '1K']],
    ['thaw', ['--all']],
    ['freeze', ['--all']],
  ] as const) {
    const r = mq(action, ...crit, '--yes');
    assert.equal(r.status, 0, `${action}: ${r.stderr}`);
    assert.match(r.stderr, /2 message\(s\) whose -H file cannot be read left alone/);
  }
  for (const crit of [['--max-size', '1K'], ['-x'], ['--all']]) {
    const r = mq('rm', ...crit, '--yes');
    assert.equal(r.status, 0, r.stderr);
    for (const id of unread) {
      assert.ok(
        fs.existsSync(sp.file(id, '-H')) && fs.existsSync(sp.file(id, '-D')),
        `rm ${crit.join(' ')} --yes removed ${id}`,
      );
      assert.ok(eximSees(id), `exim no longer sees ${id}`);
    }
  }
  assert.ok(!eximSees(good), 'the readable message was removed');
  // the audit log names only what was acted on
  assert.doesNotMatch(fs.readFileSync(env.HOSTOPS_AUDIT_LOG, 'utf8'), new RegExp(unread.join('|')));
});

test('removed by explicit id, or by --include-unreadable', () => {
  const r = mq('rm', garbage);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.ok(!eximSees(garbage));
  const p = JSON.parse(mq('rm', '--all', '--include-unreadable', '--json').stdout);
  assert.deepEqual(p.ids, [dirH]);
  assert.deepEqual(p.unreadable, []);
  assert.equal(
    mq('freeze', '--all', '--include-unreadable').status,
    2,
    'only rm takes --include-unreadable',
  );
});
