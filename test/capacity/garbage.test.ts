import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseText, FORMATS, type InputFormat } from '../../src/capacity/input/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { rng } from '../../src/capacity/synth.js';
import { FIX } from './helpers.js';

// Truncated, spliced and random inputs: every parser either returns series (with named problems)
// or throws a HostopsError naming the file; nothing else escapes. Bounded: 200 cases per format.
test('parsers survive truncated and garbled input', () => {
  const seeds = ['snmp-poll.txt', 'sample.mrtg.log', 'prom-range.json'].map((f) =>
    readFileSync(path.join(FIX, f), 'utf8'),
  );
  seeds.push('timestamp,series,value\n1700000300,a,1\n1700000600,a,2\n');
  seeds.push(
    '<xport><meta><start>1</start><step>300</step><legend><entry>x</entry></legend></meta><data><row><v>1</v></row></data></xport>',
  );
  seeds.push('# hostname;interval;timestamp;kbmemfree\nvm;1;2026-11-25 08:13:13 UTC;100\n');
  const r = rng(42);
  let cases = 0;
  for (const fmt of [...FORMATS, undefined] as (InputFormat | undefined)[]) {
    for (let i = 0; i < 200; i++) {
      const base = seeds[Math.floor(r() * seeds.length)];
      let text = base.slice(0, Math.floor(r() * base.length));
      if (r() < 0.5) {
        const at = Math.floor(r() * text.length);
        text = text.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(at + 1);
      }
      if (r() < 0.2)
        text = Array.from({ length: 64 }, () => String.fromCharCode(Math.floor(r() * 256))).join(
          '',
        );
      try {
        const res = parseText(text, 'fuzz.in', { format: fmt });
        for (const s of res.series) assert.equal(s.times.length, s.values.length);
      } catch (e) {
        assert.ok(e instanceof HostopsError, `${fmt ?? 'auto'}: ${(e as Error).stack}`);
        assert.match(e.where ?? e.message, /fuzz\.in/);
      }
      cases++;
    }
  }
  assert.equal(cases, 200 * (FORMATS.length + 1));
});
