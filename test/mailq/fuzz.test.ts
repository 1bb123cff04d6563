import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Spool, hostops, sameAsExim } from './helpers.js';
import { parseHeaderFile } from '../../src/mailq/spool-parse.js';
import { rng } from '../../src/lib/rng.js';

function mutate(b: Buffer, r: () => number): Buffer {
  const x = Buffer.from(b);
  const kind = Math.floor(r() * 5);
  const at = Math.floor(r() * x.length);
  if (kind === 0) {
    x[at] = Math.floor(r() * 256);
    return x;
  }
  if (kind === 1) return x.subarray(0, at);
  if (kind === 2)
    return Buffer.concat([
      x.subarray(0, at),
      Buffer.from([[10, 0, 45, 32, 89, 48][Math.floor(r() * 6)]]),
      x.subarray(at),
    ]);
  if (kind === 3)
    return Buffer.concat([x.subarray(0, at), x.subarray(at + 1 + Math.floor(r() * 8))]);
  const nl = x.indexOf(10, at);
  return nl === -1
    ? x
    : Buffer.concat([
        x.subarray(0, nl + 1),
        x.subarray(nl + 1 + Math.max(0, x.indexOf(10, nl + 1) - nl)),
      ]);
}

const sp = new Spool();
after(() => sp.destroy());

test('2000 mutated -H files never throw; a 200,000-deep delivered tree is read without recursion', () => {
  const id = sp.inject(
    'a@vm',
    ['x@example.org', 'y@example.org'],
    'Subject: fuzz\nX-PHP-Script: a/b.php for 1.2.3.4\n',
  );
  sp.exim(['-Mf', id]);
  const orig = fs.readFileSync(sp.file(id, '-H'));
  const r = rng(42);
  for (let i = 0; i < 2000; i++) {
    const buf = mutate(orig, r);
    const p = parseHeaderFile({ id, subdir: '', buf, dataSize: 100 });
    assert.equal(typeof p.msg.id, 'string');
    // the -bp text path decodes the file differently (whole, no header values): same verdict
    const t = parseHeaderFile({ id, subdir: '', buf, dataSize: 100, fields: false }).msg;
    assert.deepEqual(
      { ...t, subject: p.msg.subject, phpScript: p.msg.phpScript, fromHeader: p.msg.fromHeader },
      p.msg,
    );
  }
  const deep = Buffer.from(
    `${id}-H\nroot 0 0\n<a@vm>\n1 0\n` + 'YN a@vm\n'.repeat(200000) + 'NN b@vm\n1\nx@y\n\n',
  );
  const d = parseHeaderFile({ id, subdir: '', buf: deep, dataSize: 100 }).msg;
  assert.equal(d.error, undefined);
  assert.equal(d.extraDelivered?.length, 200001);
});

for (const seed of process.env.MAILQ_FUZZ_SEED
  ? [Number(process.env.MAILQ_FUZZ_SEED)]
  : [3, 5, 7]) {
  test(`40 mutated -H files (seed ${seed}) are listed exactly as exim -bp lists them`, () => {
    const q = new Spool();
    try {
      const r = rng(seed);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++)
        ids.push(
          q.inject(`s${i}@vm`, [`r${i}@example.org`, `q${i}@example.net`], `Subject: m${i}\n`),
        );
      for (const id of ids)
        fs.writeFileSync(q.file(id, '-H'), mutate(fs.readFileSync(q.file(id, '-H')), r));
      if (process.env.MAILQ_FUZZ_KEEP)
        fs.cpSync(q.dir, process.env.MAILQ_FUZZ_KEEP, { recursive: true });
      const cmp = sameAsExim(
        () => hostops(['mailq', 'list', '--spool', q.dir]).stdout,
        () => q.exim(['-bp']).stdout,
      );
      assert.equal(cmp.ours, cmp.theirs);
      assert.equal(hostops(['mailq', 'count', '--spool', q.dir]).stdout, q.exim(['-bpc']).stdout);
    } finally {
      q.destroy();
    }
  });
}
