/**
 * OutBuffer hands out exactly the bytes written to it, across its 1 MB buffer boundaries: a part
 * handed out by capacity carried uninitialised memory (38 GB of NULs for one `list -i`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutBuffer } from '../../src/mailq/out-buffer.js';

const id = (i: number) => `1xYy4i-${String(i).padStart(6, '0')}-01\n`;

test('latin1 writes past several 1 MB buffers come out byte for byte', () => {
  const out = new OutBuffer();
  let want = '';
  for (let i = 0; i < 200_000; i++) {
    out.latin1(id(i));
    want += id(i);
  } // 3.4 MB of ids
  const parts = out.take();
  assert.ok(parts.length >= 3, 'crossed buffer boundaries');
  assert.equal(Buffer.concat(parts).toString('latin1'), want);
  assert.equal(out.take().length, 0);
});

test('latin1, bytes, view and patch mixed across boundaries keep order and length', () => {
  const out = new OutBuffer();
  const chunks: string[] = [];
  const big = Buffer.from('v'.repeat(5000) + '\n', 'latin1');
  const row = Buffer.from('????  1.2K 1xYy4i-000000-01 <a@b>\n          c@d\n\n', 'latin1');
  for (let i = 0; i < 60_000; i++) {
    if (i % 3 === 0) {
      out.latin1(id(i));
      chunks.push(id(i));
    } else if (i % 3 === 1) {
      out.bytes(row, 0, row.length);
      out.patchLatin1('12m ', row.length);
      chunks.push('12m ' + row.toString('latin1', 4));
    } else if (i % 1000 === 2) {
      out.view(big);
      chunks.push(big.toString('latin1'));
    } else {
      out.bytes(row, 4, 10);
      chunks.push(row.toString('latin1', 4, 10));
    }
  }
  const got = Buffer.concat(out.take());
  assert.equal(got.length, Buffer.byteLength(chunks.join(''), 'latin1'));
  assert.equal(got.toString('latin1'), chunks.join(''));
  assert.equal(got.indexOf(0), -1, 'no NUL byte');
});

test('a range outside the source is refused, never counted as written', () => {
  const out = new OutBuffer();
  const src = Buffer.from('abcdef', 'latin1');
  out.bytes(src, 1, 3);
  assert.throws(() => out.bytes(src, 4, 9), /bytes 4\.\.9 of 6/);
  assert.throws(() => out.bytes(src, 3, 2), /bytes 3\.\.2/);
  assert.throws(() => out.patchLatin1('wxyz', 2), /patch of 4 bytes 2 back/);
  assert.equal(Buffer.concat(out.take()).toString('latin1'), 'bc');
});
