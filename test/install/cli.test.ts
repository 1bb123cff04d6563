/** Habits from issue 12: bare `hostops mailq` lists the queue as `mailq` does; the group's help stays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaultSubcommand } from '../../src/cli/main.js';
import fs from 'node:fs';
import path from 'node:path';
import { Spool, hostops, sameAsExim, ROOT } from '../mailq/helpers.js';

test('withDefaultSubcommand inserts list only where no subcommand or help follows mailq', () => {
  const a = (...w: string[]) => ['node', 'hostops', ...w];
  assert.deepEqual(withDefaultSubcommand(a('mailq')), a('mailq', 'list'));
  assert.deepEqual(
    withDefaultSubcommand(a('mailq', '--spool', '/s', '--json')),
    a('mailq', 'list', '--spool', '/s', '--json'),
  );
  assert.deepEqual(
    withDefaultSubcommand(a('--debug', 'mailq', '-f', 'x')),
    a('--debug', 'mailq', 'list', '-f', 'x'),
  );
  for (const keep of [
    a('mailq', 'count'),
    a('mailq', '--help'),
    a('mailq', '-h'),
    a('ping', 'mailq'),
    a('mailq', 'rm', 'mailq'),
  ]) {
    assert.deepEqual(withDefaultSubcommand(keep), keep);
  }
});

test('bare hostops mailq prints exim -bp byte for byte; hostops mailq --help is the group help', () => {
  const sp = new Spool();
  try {
    sp.inject('alice@vm', ['bob@example.net'], 'Subject: one\n');
    const cmp = sameAsExim(
      () => hostops(['mailq', '--spool', sp.dir]).stdout,
      () => sp.exim(['-bp']).stdout,
    );
    assert.ok(cmp.equal, `${cmp.ours}\n---\n${cmp.theirs}`);
    const h = hostops(['mailq', '--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /^Usage: hostops mailq \[options\] \[command\]/);
  } finally {
    sp.destroy();
  }
});

test("hostops --version (answered by bin/hostops.js from package.json) agrees with the CLI's own version", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  assert.equal(hostops(['--version']).stdout, `${pkg}\n`);
  assert.equal(hostops(['-V']).stdout, `${pkg}\n`);
  assert.equal(hostops(['--debug', '--version']).stdout, `${pkg}\n`); // through commander
});
