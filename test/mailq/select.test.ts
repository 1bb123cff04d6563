import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Spool, hostops, standardQueue, CONF, EXIM } from './helpers.js';

const sp = new Spool();
after(() => sp.destroy());
const ids = standardQueue(sp);
// exiqgrep runs "$exim -bpu"; this fixed wrapper points it at the test spool
const wrapper = path.join(sp.dir, 'exim-wrapper');
fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${CONF} -DSPOOL=${sp.dir} "$@"\n`, {
  mode: 0o755,
});
const exiqgrep = (...a: string[]) =>
  execFileSync('/usr/sbin/exiqgrep', ['-E', wrapper, ...a], { encoding: 'latin1' });
const ours = (...a: string[]) => {
  const r = hostops(['mailq', 'list', '--spool', sp.dir, ...a]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};
const sorted = (s: string) => s.trim().split('\n').filter(Boolean).sort();

for (const args of [
  ['-f', 'example\\.com'],
  ['-f', '^<>$'],
  ['-r', 'example\\.org$'],
  ['-z'],
  ['-x'],
  ['-s', 'M$'],
  ['-f', 'alice', '-r', 'carol'],
  ['-r', 'bob@vm'],
  ['-x', '-f', 'INFO@'],
]) {
  test(`exiqgrep ${args.join(' ')} -i selects the same messages`, () => {
    assert.deepEqual(sorted(ours(...args, '-i')), sorted(exiqgrep(...args, '-i')));
  });
}

test('-c prints exiqgrep\'s "N matches out of M messages"', () => {
  assert.equal(ours('-f', 'example', '-c'), exiqgrep('-f', 'example', '-c'));
});

test("-b prints exiqgrep's brief lines", () => {
  assert.deepEqual(sorted(ours('-f', 'alice', '-b')), sorted(exiqgrep('-f', 'alice', '-b')));
});

test('age selection uses the -H time, not the id (where exiqgrep is wrong)', () => {
  const h = sp.file(ids.plain, '-H');
  const lines = fs.readFileSync(h, 'latin1').split('\n');
  const t = Number(lines[3].split(' ')[0]) - 5 * 3600;
  lines[3] = `${t} 0`;
  fs.writeFileSync(h, lines.join('\n'), 'latin1');
  assert.deepEqual(sorted(ours('-o', '3600', '-i')), [ids.plain]);
  assert.deepEqual(sorted(ours('--older-than', '1h', '-i')), [ids.plain]);
  assert.equal(sorted(ours('-y', '3600', '-i')).length, Object.keys(ids).length - 1);
  assert.deepEqual(sorted(exiqgrep('-o', '3600', '-i')), []); // exiqgrep decodes the id time
});

test('hostops-only criteria: subject, any header, auth user, script, script domain, local user, size, bounces', () => {
  assert.deepEqual(sorted(ours('--subject', 'pills', '-i')), [ids.php]);
  assert.deepEqual(sorted(ours('--header', '^X-PHP-Script: site\\.example/', '-i')), [ids.php]);
  assert.deepEqual(sorted(ours('--auth', '^info@example\\.com$', '-i')), [ids.auth]);
  assert.deepEqual(sorted(ours('--script', 'wp-content/x\\.php', '-i')), [ids.php]);
  assert.deepEqual(sorted(ours('--script-domain', 'SITE.example', '-i')), [ids.php]);
  assert.deepEqual(sorted(ours('--min-size', '1M', '-i')), [ids.huge]);
  assert.deepEqual(sorted(ours('--bounces', '-i')), [ids.bounce]);
  assert.equal(sorted(ours('--local-user', 'root', '-i')).length, Object.keys(ids).length);
  assert.deepEqual(sorted(ours('--local-user', 'nobody', '-i')), []);
  // AND of criteria
  assert.deepEqual(sorted(ours('--subject', 'pills', '-z', '-i')), []);
});

test('selection with the default layout prints exim -bp blocks of the selected messages only', () => {
  const all = ours();
  const sel = ours('-z');
  assert.ok(sel.length > 0 && all.includes(sel));
  assert.match(sel, /\*\*\* frozen \*\*\*/);
});

test('count takes the same selection; a bad regex is a usage error', () => {
  assert.equal(hostops(['mailq', 'count', '--spool', sp.dir, '-z']).stdout, '1\n');
  const r = hostops(['mailq', 'list', '--spool', sp.dir, '-f', '(']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid sender regular expression/);
});

test('exiqgrep dies on a corrupt -H file; our selection goes on', () => {
  const x = sp.inject('broken@vm', ['q@example.org'], 'Subject: soon broken\n');
  fs.writeFileSync(sp.file(x, '-H'), 'garbage\n');
  const e = spawnSync('/usr/sbin/exiqgrep', ['-E', wrapper, '-f', 'alice', '-i'], {
    encoding: 'latin1',
  });
  // exiqgrep stops at exim -bpu's "*** spool format error" block: exit 1, nothing selected,
  // not even alice's message that is still intact
  assert.equal(e.status, 1, `exiqgrep: ${e.stderr}`);
  assert.match(e.stderr, /^Line mismatch: /);
  assert.equal(e.stdout, '');
  const r = hostops(['mailq', 'list', '--spool', sp.dir, '-f', 'alice', '-i']);
  assert.equal(r.status, 0);
  assert.deepEqual(sorted(r.stdout), [ids.plain]);
});
