/**
 * The queue index's files against a hostile cache directory: a symlink planted at the index name
 * or at the temporary name is never written through (O_CREAT|O_EXCL|O_NOFOLLOW, a random
 * temporary name, rename over the index name), and a cache directory that is a symlink, belongs
 * to someone else or sits where others can swap it is refused; one others may write is repaired.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeIndexFile, privateDir, indexPath } from '../../src/mailq/spool-index-file.js';
import { Spool, hostops, standardQueue } from './helpers.js';

const top = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-idxfile-'));
const sp = new Spool();
after(() => {
  sp.destroy();
  fs.rmSync(top, { recursive: true, force: true });
});
standardQueue(sp);

/** A file an attacker would like root to overwrite. */
function victim(name: string): { file: string; intact: () => void } {
  const file = path.join(top, name);
  fs.writeFileSync(file, 'precious\n', { mode: 0o644 });
  return {
    file,
    intact: () => {
      assert.equal(fs.readFileSync(file, 'utf8'), 'precious\n');
      assert.equal(fs.statSync(file).mode & 0o777, 0o644);
    },
  };
}
const cols = () => ({ a: Uint8Array.from([1, 2, 3]) });

test('a symlink at the temporary name (the old pid name, or the random one) is not written through', () => {
  const dir = fs.mkdtempSync(path.join(top, 'c-'));
  const file = path.join(dir, 'q.idx');
  const v = victim('v1');
  // the name this process used to write (`<index>.<pid>.tmp`): harmless now
  fs.symlinkSync(v.file, `${file}.${process.pid}.tmp`);
  writeIndexFile(file, { n: 1 }, cols());
  v.intact();
  assert.ok(fs.lstatSync(file).isFile());
  // even a correctly guessed random name: O_EXCL|O_NOFOLLOW refuses it
  const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  const fixed = new Uint8Array(9).fill(7);
  globalThis.crypto.getRandomValues = (<T extends ArrayBufferView | null>(a: T): T => {
    (a as unknown as Uint8Array).set(fixed);
    return a;
  }) as typeof real;
  try {
    const guessed = `${file}.${Buffer.from(fixed).toString('base64url')}.tmp`;
    fs.symlinkSync(v.file, guessed);
    assert.throws(() => writeIndexFile(file, { n: 2 }, cols()), /EEXIST/);
    v.intact();
    assert.ok(
      fs.lstatSync(guessed).isSymbolicLink(),
      'the planted link is left, not followed or replaced',
    );
  } finally {
    globalThis.crypto.getRandomValues = real;
  }
});

test('a symlink at the index name is replaced by the new index, its target untouched', () => {
  const dir = fs.mkdtempSync(path.join(top, 'c-'));
  const file = path.join(dir, 'q.idx');
  const v = victim('v2');
  fs.symlinkSync(v.file, file);
  writeIndexFile(file, { n: 1 }, cols());
  v.intact();
  assert.ok(fs.lstatSync(file).isFile());
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test("the cache directory: a symlink, another user's, or an unsafe parent is refused; a writable one is made 0700", () => {
  const v = victim('v3');
  const elsewhere = fs.mkdtempSync(path.join(top, 'elsewhere-'));
  const link = path.join(top, 'linked');
  fs.symlinkSync(elsewhere, link);
  assert.throws(() => privateDir(link), /is a symlink or not a directory/);
  assert.throws(() => writeIndexFile(path.join(link, 'q.idx'), {}, cols()), /symlink/);
  assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
  const theirs = fs.mkdtempSync(path.join(top, 'theirs-'));
  fs.chownSync(theirs, 65534, 65534);
  assert.throws(() => privateDir(theirs), /belongs to uid 65534/);
  const open = fs.mkdtempSync(path.join(top, 'open-'));
  fs.chmodSync(open, 0o777);
  privateDir(open);
  assert.equal(fs.statSync(open).mode & 0o777, 0o700);
  const shared = fs.mkdtempSync(path.join(top, 'shared-'));
  fs.chmodSync(shared, 0o777); // world-writable, no sticky bit: anyone could rename our directory away
  assert.throws(() => privateDir(path.join(shared, 'mailq')), /may be changed by other users/);
  fs.chmodSync(shared, 0o1777); // like /tmp
  privateDir(path.join(shared, 'mailq2'));
  v.intact();
});

test('through the CLI: HOSTOPS_CACHE_DIR whose mailq/ is a symlink lists correctly and writes nothing there', () => {
  const cache = fs.mkdtempSync(path.join(top, 'cli-'));
  const target = fs.mkdtempSync(path.join(top, 'target-'));
  fs.symlinkSync(target, path.join(cache, 'mailq'));
  const r = hostops(['mailq', 'list', '--spool', sp.dir], {
    HOSTOPS_CACHE_DIR: cache,
    HOSTOPS_DEBUG: '1',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, sp.exim(['-bp']).stdout);
  assert.match(r.stderr, /queue index: not written \(.*\): .* is a symlink or not a directory/);
  assert.deepEqual(fs.readdirSync(target), []);
  // and a symlink planted at the index name itself
  fs.rmSync(path.join(cache, 'mailq'));
  const v = victim('v4');
  process.env.HOSTOPS_CACHE_DIR = cache;
  const idx = indexPath(path.join(sp.dir, 'input'));
  delete process.env.HOSTOPS_CACHE_DIR;
  fs.mkdirSync(path.dirname(idx), { mode: 0o700 });
  fs.symlinkSync(v.file, idx);
  const r2 = hostops(['mailq', 'list', '--spool', sp.dir], {
    HOSTOPS_CACHE_DIR: cache,
    HOSTOPS_DEBUG: '1',
  });
  assert.equal(r2.stdout, sp.exim(['-bp']).stdout);
  assert.match(r2.stderr, /queue index: written/);
  v.intact();
  assert.ok(fs.lstatSync(idx).isFile());
});
