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
import { readChunk } from '../../src/mailq/spool-chunk.js';
import { FORMATS, type FormatName } from '../../src/mailq/format/index.js';
import { spoolAddon, readQueueNative, nativeCount } from '../../src/mailq/spool-native.js';

const NOW = 1_900_000_000;
const addon = spoolAddon();

function both(dir: string, format: FormatName) {
  assert.ok(addon, 'the hostops_spool addon is not built: run `npm run install`');
  const js = readChunk({ entries: scanSpool(dir), now: NOW, format });
  return readQueueNative(addon!, dir, { now: NOW, format: FORMATS[format], threads: 2 }).then(
    (nat) => ({ js, nat }),
  );
}

async function assertSame(dir: string): Promise<void> {
  const rec = await both(dir, 'records');
  assert.deepEqual(rec.nat.messages, rec.js.messages);
  const text = await both(dir, 'bp');
  assert.equal(text.nat.parts.join(''), text.js.parts.join(''));
  assert.equal(nativeCount(addon!, dir), scanSpool(dir).length);
}

const sp = new Spool();
after(() => sp.destroy());

test('native and JS readers agree on corrupt, truncated, NUL-filled, unreadable and journalled -H files', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 8; i++)
    ids.push(sp.inject(`s${i}@vm`, [`r${i}@example.org`, `q${i}@example.net`], `Subject: m${i}\n`));
  const [a, b, c, d, e, f, g] = ids;
  fs.writeFileSync(
    sp.file(a, '-H'),
    fs.readFileSync(sp.file(a, '-H'), 'latin1').split('\n').slice(0, 3).join('\n') + '\n',
  );
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
  const r = sameAsExim(
    () => hostops(['mailq', 'list', '--spool', sp.dir]).stdout,
    () => sp.exim(['-bp']).stdout,
  );
  assert.equal(r.ours, r.theirs);
  assert.match(r.ours, /spool read error: Is a directory/);
});

test('native and JS readers agree on a 5000-message split spool; the JS fallback still matches exim -bp', async () => {
  const q = new Spool();
  try {
    generateSpool(q.dir, { count: 5000, split: true, alignMinutes: true, seed: 9 });
    execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', q.dir]);
    await assertSame(q.dir);
    const r = sameAsExim(
      () => hostops(['mailq', 'list', '--spool', q.dir], { HOSTOPS_MAILQ_NATIVE: '0' }).stdout,
      () => q.exim(['-bp']).stdout,
    );
    assert.equal(r.ours, r.theirs);
  } finally {
    q.destroy();
  }
});

test('a missing spool is the same named error through the addon', () => {
  assert.throws(() => nativeCount(addon!, '/nonexistent-hostops-spool'), {
    code: 'MAILQ_NO_SPOOL',
  });
});

// ---- mainlog: the C scanner (native/spool/mainlog.c) against MainlogScanner ----

const HAND = [
  '2026-11-24 10:00:00.123 +0100 [1234] 1xVwEz-0001T5-2H <= a@x.example H=(helo) [192.0.2.1]:25 P=esmtpa A=dovecot_login:info@x.example S=1 T="a \\" for x" for r@y.example s@y.example',
  '2026-11-24 10:00:01 [99] 1xVwTs-000000002b4-1DYh <= b@x.example U=alice P=local S=1 T="b" for r@y.example',
  '2026-11-24 10:00:02 1xVwEz-0001T6-2H <= c@x.example H=mx.example [198.51.100.7] P=esmtp S=5 for r@y.example',
  '2026-11-24 10:00:03 1xVwEz-0001T7-2H <= d@x.example U=bob P=spam S=1',
  '2026-11-24 10:00:04 1xVwEz-0001T8-2H <= <> R=1xVwEz-0001T5-2H U=Debian-exim P=local S=9 T="Mail delivery failed" for a@x.example',
  '2026-11-24 10:00:05 cwd=/home/alice/public_html/wp 4 args: /usr/sbin/sendmail -t -i',
  '2026-11-24 10:00:05 cwd=/home/alice/public_html/wp 3 args: /usr/sbin/exim4 -bpc',
  '2026-11-24 10:00:05 cwd=/root 3 args: exim -Mrm 1xVwEz-0001T8-2H',
  '2026-11-24 10:00:05 cwd=/root 3 args: exim -bpx-y',
  '2026-11-24 10:00:06 cwd=/var/spool/exim4 3 args: /usr/sbin/exim4 -Mc 1xVwEz-0001T8-2H',
  '2026-11-24 10:00:06 cwd=/var/spool/exim4x 2 args: exim -q',
  '2026-11-24 10:00:06 cwd=/home/with space/dir 2 args: sendmail -oi',
  '2026-11-24 10:00:06 cwd=/tmp',
  '2026-11-24 10:00:07 cwd= 1 args: x',
  '...continued line',
  '',
  'garbage \x00 with NUL and \xe9 latin1',
  'short',
  '2026-11-24 11:00:00 1xVwEz-0001T9-2H <= e@x.example A=plain:e S=1 T="e" for ',
  '2026-11-24 09:00:00 1xVwEz-0001TA-2H <= f@x.example U=carol P=local_bsmtp S=1 for r@y.example',
  '2026-11-24 11:00:01 1xVwEz-0001TB-2H <= g@x.example U=carol',
  '2026-11-24 11:00:02 1xVwEz-0001TB-2H => r@y.example R=dnslookup T=remote_smtp H=mx [192.0.2.9]',
  '2026-11-24 11:00:03 1xVwEz-0001TC-2H <= h@x.example U=dave P=local S=1 T="unterminated tail" for a@b',
].join('\n');

async function scanners() {
  const { MainlogScanner } = await import('../../src/mailq/mainlog-scan.js');
  const { nativeMainlogScanner } = await import('../../src/mailq/mainlog-native.js');
  return { MainlogScanner, nativeMainlogScanner };
}

/** Feed the same bytes to both scanners, cut into chunks at line ends every `every` lines. */
async function compareScan(
  buf: Buffer,
  o: { since?: string; until?: string; scriptsOnly?: boolean },
  every = 7,
): Promise<void> {
  const { MainlogScanner, nativeMainlogScanner } = await scanners();
  const opts = { spoolDirs: ['/var/spool/exim4', '/var/spool/exim'], ...o };
  const js = new MainlogScanner(opts);
  const nat = nativeMainlogScanner(opts);
  assert.ok(nat, 'the hostops_spool addon is not built');
  let start = 0;
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 10 && ++n % every === 0) {
      js.feed(buf.toString('latin1', start, i + 1));
      nat!.feedBytes(buf, start, i + 1);
      start = i + 1;
    }
  }
  if (start < buf.length) {
    js.feed(buf.toString('latin1', start));
    nat!.feedBytes(buf, start, buf.length);
  }
  const a = nat!.result();
  const b = js.st;
  assert.deepEqual(
    {
      ...a,
      hourly: [...a.hourly],
      senders: [...a.senders],
      authUsers: [...a.authUsers],
      localUsers: [...a.localUsers],
      clientIps: [...a.clientIps],
      smtpIps: [...a.smtpIps],
      cwds: [...a.cwds],
    },
    {
      ...b,
      hourly: [...b.hourly],
      senders: [...b.senders],
      authUsers: [...b.authUsers],
      localUsers: [...b.localUsers],
      clientIps: [...b.clientIps],
      smtpIps: [...b.smtpIps],
      cwds: [...b.cwds],
    },
  );
}

test('the C mainlog scanner counts exactly what MainlogScanner counts (selectors, ids, cwd, garbage, windows, chunking)', async () => {
  const hand = Buffer.from(HAND, 'latin1');
  for (const every of [1, 3, 100]) {
    await compareScan(hand, {}, every);
    await compareScan(hand, { scriptsOnly: true }, every);
    await compareScan(hand, { since: '2026-11-24 10:00:01', until: '2026-11-24 11:00:02' }, every);
  }
  const { generateMainlog } = await import('./fixtures/gen-mainlog.js');
  const f = path.join(sp.dir, 'gen.log');
  generateMainlog(f, { bytes: 2_000_000, seed: 5, traps: true, garbage: true });
  await compareScan(fs.readFileSync(f), {}, 1000);
  await compareScan(fs.readFileSync(f), { scriptsOnly: true }, 333);
});

test('sources reports are identical with and without the addon (rotated, gzipped, truncated .gz, garbage)', async () => {
  const { generateMainlog } = await import('./fixtures/gen-mainlog.js');
  const zlib = await import('node:zlib');
  const dir = path.join(sp.dir, 'ml');
  fs.mkdirSync(dir);
  const base = path.join(dir, 'mainlog');
  generateMainlog(base, { bytes: 400_000, seed: 3, traps: true, garbage: true });
  generateMainlog(base + '.1', { bytes: 200_000, seed: 4 });
  fs.writeFileSync(base + '.2.gz', zlib.gzipSync(fs.readFileSync(base + '.1')));
  const gz = zlib.gzipSync(Buffer.from(HAND + '\n' + HAND, 'latin1'));
  fs.writeFileSync(base + '.3.gz', gz.subarray(0, Math.floor(gz.length * 0.7)));
  fs.writeFileSync(base + '.hand', HAND);
  const args = ['mailq', 'sources', '--no-queue', '--json', '--top', '1000'];
  for (const f of [base, base + '.1', base + '.2.gz', base + '.3.gz', base + '.hand'])
    args.push('--log', f);
  const a = hostops(args);
  const b = hostops(args, { HOSTOPS_MAILQ_NATIVE: '0' });
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.match(a.stdout, /gzip error/);
});
