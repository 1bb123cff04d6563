/**
 * The queue index (src/mailq/spool-index.ts): a listing answered from it is exim -bp's bytes, and
 * any change (through exim, by hand in place, a growing journal) is seen by the next listing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Spool, hostops, sameAsExim, standardQueue } from './helpers.js';

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-idx-cache-'));
const env = { HOSTOPS_CACHE_DIR: cache, HOSTOPS_DEBUG: '1' };
const sp = new Spool();
after(() => {
  sp.destroy();
  fs.rmSync(cache, { recursive: true, force: true });
});
const ids = standardQueue(sp);

const bp = () => sp.exim(['-bp']).stdout;
// exim -bp is also run just before ours: the queue is a minute old while these tests run, so an
// age may pass a minute boundary between the two runs; ours must equal exim's before or after
const list = (...a: string[]) => {
  const before = bp();
  return { ...hostops(['mailq', 'list', '--spool', sp.dir, ...a], env), before };
};
const sameAsEximBp = (r: { stdout: string; before: string }) => {
  if (r.stdout !== r.before) assert.equal(r.stdout, bp());
};
const note = (stderr: string) =>
  (stderr.match(/queue index: (used|not used(?: as it is)?: [^\n]*)/) ?? [])[1] ?? '(none)';
const reused = (stderr: string) =>
  (stderr.match(/queue index: (\d+) of (\d+) messages taken from it, (\d+) read/) ?? [])
    .slice(1)
    .map(Number);
// a directory or file changed within 2 s of a build is not trusted (same clock tick): wait past it
const settle = () => sleep(2100);

/** A listing that the index answered, compared with exim -bp. */
function listedFromIndex(): string {
  let how = '';
  const r = sameAsExim(
    () => {
      const x = list();
      how = note(x.stderr);
      return x.stdout;
    },
    () => sp.exim(['-bp']).stdout,
  );
  assert.ok(r.equal, `differs from exim -bp:\n${r.ours}\n---\n${r.theirs}`);
  assert.equal(how, 'used');
  return r.ours;
}

test('a second listing comes from the index, byte-identical to exim -bp; count and selections too', async () => {
  await settle();
  const first = list();
  assert.match(first.stderr, /queue index: written \(8 messages, 8 read from the spool\)/);
  listedFromIndex();
  const c = hostops(['mailq', 'count', '--spool', sp.dir], env);
  assert.equal(c.stdout, sp.exim(['-bpc']).stdout);
  assert.equal(note(c.stderr), 'used');
  for (const crit of [
    ['-f', 'example\\.com'],
    ['-r', '@example\\.org$'],
    ['-z'],
    ['-x'],
    ['--bounces'],
    ['-f', '^<>$'],
    ['--auth', '^info@'],
    ['--local-user', 'root'],
    ['--min-size', '1M'],
    ['--max-size', '2K'],
    ['-s', 'M$'],
    ['-o', '1'],
    ['-y', '1'],
    [ids.frozen, ids.bounce],
  ]) {
    for (const out of [['-i'], ['-c'], []]) {
      const a = list(...crit, ...out);
      const b = hostops(['mailq', 'list', '--spool', sp.dir, '--no-index', ...crit, ...out], env);
      if (crit[0] === ids.frozen && out.length === 0) continue; // named ids list through the full reader
      assert.equal(a.stdout, b.stdout, `${crit.join(' ')} ${out.join(' ')}`);
      assert.equal(note(a.stderr), 'used', `${crit.join(' ')} ${out.join(' ')}`);
      assert.doesNotMatch(b.stderr, /queue index/);
    }
  }
  // selections on headers need the files: the index is left alone
  const s = list('--subject', 'cheap', '-i');
  assert.equal(s.stdout.trim(), ids.php);
  assert.doesNotMatch(s.stderr, /queue index/);
});

test('changes made through exim are seen by the very next listing', async () => {
  sp.exim(['-Mf', ids.plain]);
  let r = list();
  assert.equal(note(r.stderr), 'not used as it is: the spool directories changed');
  // the other seven are still the messages the index holds: only the frozen one is read again
  assert.deepEqual(reused(r.stderr), [7, 8, 1]);
  // a tenth of the queue read again: worth writing (a few messages of a big busy queue are not)
  assert.match(r.stderr, /written \(8 messages, 1 read from the spool\)/);
  sameAsEximBp(r);
  assert.match(r.stdout, new RegExp(`${ids.plain} <alice@vm> \\*\\*\\* frozen \\*\\*\\*`));
  const added = sp.inject('new@example.com', ['q@example.org'], 'Subject: late\n');
  r = list();
  assert.ok(r.stdout.includes(added));
  assert.deepEqual(reused(r.stderr), [7, 9, 2]);
  sameAsEximBp(r);
  sp.exim(['-Mrm', ids.bounce]);
  r = list('-i');
  assert.ok(!r.stdout.includes(ids.bounce));
  await settle();
  list();
  const out = listedFromIndex();
  assert.ok(out.includes(added) && !out.includes(ids.bounce));
});

test('a -H file edited in place (same name, size and directory time) is not answered from the index', async () => {
  await settle();
  list();
  listedFromIndex();
  const h = sp.file(ids.auth, '-H');
  const dir = path.dirname(h);
  const dirBefore = fs.statSync(dir, { bigint: true });
  const text = fs.readFileSync(h, 'latin1');
  assert.ok(text.includes('bob@example.net'));
  fs.writeFileSync(h, text.replace('bob@example.net', 'rob@example.net'), 'latin1'); // same length, same inode
  const dirAfter = fs.statSync(dir, { bigint: true });
  assert.equal(dirAfter.mtimeNs, dirBefore.mtimeNs, 'the directory did not change');
  const r = list();
  assert.equal(note(r.stderr), 'not used as it is: a message file changed in place');
  const [kept, all, read] = reused(r.stderr);
  assert.equal(read, 1, 'only the edited message is read again');
  assert.equal(kept + 1, all);
  assert.ok(r.stdout.includes('rob@example.net'));
  sameAsEximBp(r);
});

test('a journal growing in place during a delivery is re-read each time', async () => {
  const rcpts = ['j1@example.org', 'j2@example.org', 'j3@example.org'];
  const id = sp.inject('jr@example.com', rcpts, 'Subject: journal\n');
  const j = path.join(path.dirname(sp.file(id, '-H')), id + '-J');
  fs.writeFileSync(j, 'j1@example.org\n');
  await settle();
  list();
  let out = listedFromIndex();
  assert.match(out, /        D j1@example.org\n          j2@example.org\n/);
  fs.appendFileSync(j, 'j2@example.org\n');
  out = listedFromIndex();
  assert.match(
    out,
    /        D j1@example.org\n        D j2@example.org\n          j3@example.org\n/,
  );
  fs.rmSync(j);
});

test('an index that is not ours, writable by others, or damaged is ignored and replaced', async () => {
  await settle();
  list();
  const [name] = fs.readdirSync(path.join(cache, 'mailq')).filter((n) => n.endsWith('.idx'));
  const file = path.join(cache, 'mailq', name);
  listedFromIndex();
  fs.chmodSync(file, 0o666);
  let r = list();
  assert.equal(note(r.stderr), 'not used: none usable');
  assert.deepEqual(
    reused(r.stderr),
    [],
    'nothing is taken from an index others could have written',
  );
  sameAsEximBp(r);
  listedFromIndex(); // rewritten 0600
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  fs.chownSync(file, 65534, 65534);
  r = list();
  assert.equal(note(r.stderr), 'not used: none usable');
  listedFromIndex();
  for (const damage of [
    (b: Buffer) => b.subarray(0, b.length >> 1),
    (_b: Buffer) => Buffer.from('HMQIDX03' + 'x'.repeat(100)),
    () => Buffer.alloc(0),
  ]) {
    fs.writeFileSync(file, damage(fs.readFileSync(file)), { mode: 0o600 });
    r = list();
    sameAsEximBp(r);
    assert.equal(r.status, 0);
    listedFromIndex();
  }
  // one bit flipped inside the -bp text on disk: the column's checksum catches it
  const b = fs.readFileSync(file);
  const jlen = b.readUInt32LE(8);
  const head = JSON.parse(b.toString('utf8', 16, 16 + jlen));
  const col = head.columns.find((c: { name: string }) => c.name === 'bp');
  const at = ((16 + jlen + 7) & ~7) + col.offset + (col.bytes >> 1);
  b[at] ^= 0x20;
  fs.writeFileSync(file, b, { mode: 0o600 });
  r = list();
  assert.match(note(r.stderr), /damaged \(index column bp fails its checksum\)/);
  sameAsEximBp(r);
  listedFromIndex();
  // a digit of the message count in the header: count must not print it
  const h2 = fs.readFileSync(file);
  const pos = h2.indexOf('"count":') + 8;
  h2[pos] = h2[pos] === 0x39 ? 0x38 : h2[pos] + 1;
  fs.writeFileSync(file, h2, { mode: 0o600 });
  const c = hostops(['mailq', 'count', '--spool', sp.dir], env);
  assert.equal(c.stdout, sp.exim(['-bpc']).stdout);
  assert.equal(note(c.stderr), 'not used: none usable');
  // --no-index and HOSTOPS_MAILQ_INDEX=0 neither read nor write it
  fs.rmSync(file);
  hostops(['mailq', 'list', '--spool', sp.dir, '--no-index'], env);
  hostops(['mailq', 'list', '--spool', sp.dir], { ...env, HOSTOPS_MAILQ_INDEX: '0' });
  assert.ok(!fs.existsSync(file));
});

test('ages too wide for the slot (100 days and more, a clock far ahead) are written in full', async () => {
  const old = sp.inject('old@example.com', ['o@example.org'], 'Subject: ancient\n');
  const ahead = sp.inject('ahead@example.com', ['a@example.org'], 'Subject: from the future\n');
  const now = Math.floor(Date.now() / 1000);
  for (const [id, t] of [
    [old, now - 200 * 86400],
    [ahead, now + 3 * 3600],
  ] as const) {
    const h = sp.file(id, '-H');
    const lines = fs.readFileSync(h, 'latin1').split('\n');
    lines[3] = lines[3].replace(/^\d+/, String(t)); // line 4: received time, as exim writes it
    fs.writeFileSync(h + '.tmp', lines.join('\n'), 'latin1');
    fs.renameSync(h + '.tmp', h); // as exim rewrites a -H file
  }
  await settle();
  list();
  const out = listedFromIndex();
  assert.match(out, new RegExp(`^200d .* ${old} <old@example.com>`, 'm'));
  assert.match(out, new RegExp(`^-1[78][0-9]m .* ${ahead} <ahead@example.com>`, 'm'));
});
