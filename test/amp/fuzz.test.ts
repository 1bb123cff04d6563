import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PROTOCOLS } from '../../src/amp/protocols.js';

// The scanner hands every reply head (up to 112 bytes) to these checks; hostile bytes must only
// ever give false, never throw (a throw inside the addon's receive callback would end the scan).
test('reply validators never throw on random or mutated replies (bounded fuzz)', () => {
  const ids = { tx16: 0x1234, tx32: 0x12345678 };
  for (const p of PROTOCOLS) {
    const probe = p.build(ids);
    for (let i = 0; i < 2000; i++) {
      const b =
        i % 3 === 0
          ? randomBytes(i % 113)
          : Buffer.from(probe.subarray(0, Math.min(probe.length, 112)));
      if (i % 3)
        for (let k = 0; k < 1 + (i % 5); k++)
          if (b.length) b[(i * 7 + k * 11) % b.length] ^= 1 << (k % 8);
      const head = i % 2 ? b.subarray(0, i % (b.length + 1)) : b;
      assert.equal(typeof p.valid(head, head.length + (i % 3000), ids), 'boolean', p.name);
    }
    assert.equal(p.valid(Buffer.alloc(0), 0, ids), false, `${p.name}: empty reply`);
  }
});
