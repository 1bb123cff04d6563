/**
 * The queue index on a busy spool (src/mailq/spool-index-busy.ts): the directory changed in the
 * last 2 s, so the index cannot answer alone; the listing takes the unchanged messages from it,
 * reads only the new or changed ones, and is still exim -bp's bytes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Spool, hostops, sameAsExim } from './helpers.js';

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-busy-cache-'));
const env = { HOSTOPS_CACHE_DIR: cache, HOSTOPS_DEBUG: '1' };
const sp = new Spool();
after(() => {
  sp.destroy();
  fs.rmSync(cache, { recursive: true, force: true });
});
const input = path.join(sp.dir, 'input');
const ids: string[] = [];
for (let i = 0; i < 40; i++)
  ids.push(sp.inject(`s${i % 3}@bulk${i % 2}.example`, [`r${i}@example.net`], `Subject: m${i}\n`));

const list = (...a: string[]) => hostops(['mailq', 'list', '--spool', sp.dir, ...a], env);
const reused = (stderr: string) =>
  (
    stderr.match(/queue index: (\d+) of (\d+) messages taken from it, (\d+) read \(busy spool\)/) ??
    []
  )
    .slice(1)
    .map(Number);
/**
 * The spool as a busy one looks: input/ changed "just now". Its time is set a minute ahead, so
 * it is within the 2 s racy limit however slowly this machine gets to the listing.
 */
const busy = () => {
  const t = new Date(Date.now() + 60_000);
  fs.utimesSync(input, t, t);
};

function sameAsEximBusy(): { stderr: string; stdout: string } {
  let stderr = '';
  const r = sameAsExim(
    () => {
      busy();
      const x = list();
      stderr = x.stderr;
      return x.stdout;
    },
    () => sp.exim(['-bp']).stdout,
  );
  assert.ok(r.equal, `differs from exim -bp:\n${r.ours}\n---\n${r.theirs}`);
  return { stderr, stdout: r.ours };
}

test("on a busy spool the listing reads only new and changed messages and is still exim -bp's bytes", async () => {
  await sleep(2100);
  assert.match(list().stderr, /written \(40 messages, 40 read from the spool\)/);
  // a message arrives; the directory is racy: the index is neither trusted alone nor rewritten
  const a = sp.inject('late@arrivals.example', ['x@example.net'], 'Subject: late\n');
  let r = sameAsEximBusy();
  assert.deepEqual(reused(r.stderr), [40, 41, 1]);
  assert.doesNotMatch(r.stderr, /written/);
  assert.ok(r.stdout.includes(a));
  // one removed through exim, one more arrives: the walk steps over both
  sp.exim(['-Mrm', ids[5]]);
  const b = sp.inject('later@arrivals.example', ['y@example.net'], 'Subject: later\n');
  r = sameAsEximBusy();
  assert.deepEqual(reused(r.stderr), [39, 41, 2]);
  assert.ok(!r.stdout.includes(ids[5]) && r.stdout.includes(b));
  // a -H edited in place (same size) is read again, not taken from the index
  const h = sp.file(ids[9], '-H');
  fs.writeFileSync(
    h,
    fs.readFileSync(h, 'latin1').replace('r9@example.net', 'q9@example.net'),
    'latin1',
  );
  r = sameAsEximBusy();
  assert.deepEqual(reused(r.stderr), [38, 41, 3]);
  assert.ok(r.stdout.includes('q9@example.net'));
  // selections, ids and counts answer the same way as a full read
  for (const crit of [
    ['-i'],
    ['-c'],
    ['-f', 'bulk1'],
    ['-f', 'bulk1', '-i'],
    ['-r', 'example\\.net$', '-c'],
    ['-x'],
  ]) {
    busy();
    const x = list(...crit);
    const y = hostops(['mailq', 'list', '--spool', sp.dir, '--no-index', ...crit], env);
    assert.equal(x.stdout, y.stdout, crit.join(' '));
    assert.match(x.stderr, /\(busy spool\)/, crit.join(' '));
  }
  // a tenth of the queue to read: the general path reads it and rewrites the index
  sp.inject('third@arrivals.example', ['z@example.net'], 'Subject: third\n');
  sp.inject('fourth@arrivals.example', ['z@example.net'], 'Subject: fourth\n');
  busy();
  r = list();
  assert.doesNotMatch(r.stderr, /busy spool\)/);
  assert.match(r.stderr, /busy-spool path not taken: 5 of 43 messages to read/);
  assert.match(r.stderr, /written \(43 messages, 5 read from the spool\)/);
});
