/**
 * One YAML reader (src/lib/yaml.ts) for every input file: a syntax error or an alias bomb is the
 * module's named error naming the file, wherever the file is read. Regressions: hostops.yaml's
 * alias bomb was a bare ReferenceError (exit 70), and serve's capacity job parsed the topology
 * with yaml's own parse, so its stored error named neither the file nor the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { contentionCheck } from '../../src/serve/jobs/checks.js';

function bomb(top: string): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return [...lines, `${top}: *a8`].join('\n');
}

test('hostops.yaml: an alias bomb is CONFIG_SYNTAX naming the file (exit 2), not an internal error', () => {
  assert.throws(
    () => parseConfig(bomb('targets'), 'bomb.yaml'),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'CONFIG_SYNTAX' &&
      e.exitCode === 2 &&
      e.where === 'bomb.yaml' &&
      /alias/i.test(e.message),
  );
});

test('hostops.yaml: a syntax error still names file and line', () => {
  assert.throws(
    () => parseConfig('targets:\n  - host: a\n   bad: [\n', 'h.yaml'),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'CONFIG_SYNTAX' &&
      /^h\.yaml:\d+: YAML syntax error: /.test(e.message),
  );
});

test("serve's capacity job: a broken or hostile topology file is reported by name and line", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hoyaml-'));
  try {
    const bad = path.join(dir, 'topology.yaml');
    writeFileSync(bad, 'hosts:\n  - id: h\n    uplink: [10G\n');
    const r1 = await contentionCheck('s', 0, bad);
    assert.equal(r1.ok, false);
    assert.match(
      String((r1.data as { error: string }).error),
      new RegExp(`^Cannot parse ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*line \\d+`),
    );
    const hostile = path.join(dir, 'bomb.yaml');
    writeFileSync(hostile, bomb('hosts'));
    const r2 = await contentionCheck('s', 0, hostile);
    assert.equal(r2.ok, false);
    assert.match(
      String((r2.data as { error: string }).error),
      new RegExp(`^Cannot parse ${hostile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*alias`, 'i'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
