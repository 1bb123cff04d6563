/**
 * The native bulk reader (hostops_spool) and the per-file JS reader must see the same queue:
 * same messages, same -bp text, same errors, same count, on good, split and corrupt spools.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Spool, hostops, sameAsExim } from './helpers.js';
import { generateSpool } from './fixtures/gen-spool.js';
import { scanSpool } from '../../src/mailq/spool-scan.js';
import { readChunk, type ChunkRequest } from '../../src/mailq/spool-chunk.js';
import { spoolAddon, readQueueNative, nativeCount } from '../../src/mailq/spool-native.js';

const NOW = 1_900_000_000;
const addon = spoolAddon();

function both(dir: string, mode: ChunkRequest['mode']) {
  assert.ok(addon, 'the hostops_spool addon is not built: run `npm run install`');
  const js = readChunk({ entries: scanSpool(dir), now: NOW, mode });
  return readQueueNative(addon!, dir, { now: NOW, mode, threads: 2 }).then((nat) => ({ js, nat }));
}

async function assertSame(dir: string): Promise<void> {
  const rec = await both(dir, 'records');
  assert.deepEqual(rec.nat.messages, rec.js.messages);
  const text = await both(dir, 'text');
  assert.equal(text.nat.parts.join(''), text.js.parts.join(''));
  assert.equal(nativeCount(addon!, dir), scanSpool(dir).length);
}

const sp = new Spool();
after(() => sp.destroy());

test('native and JS readers agree on corrupt, truncated, NUL-filled, unreadable and journalled -H files', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push(sp.inject(`s${i}@vm`, [`r${i}@example.org`, `q${i}@example.net`], `Subject: m${i}\n`));
  const [a, b, c, d, e, f, g] = ids;
  fs.writeFileSync(sp.file(a, '-H'), fs.readFileSync(sp.file(a, '-H'), 'latin1').split('\n').slice(0, 3).join('\n') + '\n');
  const hb = fs.readFileSync(sp.file(b, '-H'));
  hb[hb.length - 5] = 0;
  fs.writeFileSync(sp.file(b, '-H'), hb);
  const ch = sp.file(c, '-H');
  fs.rmSync(ch);
  fs.mkdirSync(ch); // EISDIR on read
  fs.rmSync(sp.file(d, '-D'));
  fs.writeFileSync(sp.file(e, '-H'), Buffer.from([0xff, 0xfe, 0, 1, 2, 10, 10]));
  fs.writeFileSync(path.join(path.dirname(sp.file(f, '-H')), f + '-J'), `r5@example.org\n`);
  // a -H file bigger than one 64 KB read (many recipients)
  const big = fs.readFileSync(sp.file(g, '-H'), 'latin1');
  fs.writeFileSync(sp.file(g, '-H'), big.replace('\n\n', '\n' + 'X'.repeat(70000) + '\n\n'));
  fs.writeFileSync(path.join(sp.dir, 'input', 'hdr.123'), 'temporary');
  await assertSame(sp.dir);
  const r = sameAsExim(() => hostops(['mailq', 'list', '--spool', sp.dir]).stdout, () => sp.exim(['-bp']).stdout);
  assert.equal(r.ours, r.theirs);
  assert.match(r.ours, /spool read error: Is a directory/);
});

test('native and JS readers agree on a 5000-message split spool; the JS fallback still matches exim -bp', async () => {
  const q = new Spool();
  try {
    generateSpool(q.dir, { count: 5000, split: true, alignMinutes: true, seed: 9 });
    execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', q.dir]);
    await assertSame(q.dir);
    const r = sameAsExim(() => hostops(['mailq', 'list', '--spool', q.dir], { HOSTOPS_MAILQ_NATIVE: '0' }).stdout,
      () => q.exim(['-bp']).stdout);
    assert.equal(r.ours, r.theirs);
  } finally {
    q.destroy();
  }
});

test('a missing spool is the same named error through the addon', () => {
  assert.throws(() => nativeCount(addon!, '/nonexistent-hostops-spool'), { code: 'MAILQ_NO_SPOOL' });
});
