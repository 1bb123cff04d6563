import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Spool, hostops, sameAsExim } from './helpers.js';
import { generateSpool } from './fixtures/gen-spool.js';

const sp = new Spool();
after(() => sp.destroy());

test('a 4000-message split spool (read by worker threads) lists byte-identically to exim -bp', () => {
  generateSpool(sp.dir, { count: 4000, split: true, alignMinutes: true, seed: 3 });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', sp.dir]);
  const r = sameAsExim(
    () => hostops(['mailq', 'list', '--spool', sp.dir]).stdout,
    () => sp.exim(['-bp']).stdout,
  );
  assert.equal(r.ours, r.theirs);
  assert.doesNotMatch(r.theirs, /spool format error/);
  assert.equal(hostops(['mailq', 'count', '--spool', sp.dir]).stdout, sp.exim(['-bpc']).stdout);
  const json = hostops(['mailq', 'list', '--spool', sp.dir, '--json']).stdout.trim().split('\n');
  assert.equal(json.length, 4000);
  assert.equal(
    hostops(['mailq', 'list', '--spool', sp.dir, '-z', '-c']).stdout,
    `${json.filter((l) => JSON.parse(l).frozen).length} matches out of 4000 messages\n`,
  );
});
