/**
 * package.json "exports": each library subpath resolves by the package's own name (node's
 * self-reference), loads, has the named export its src/<module>/index.ts promises, and ships
 * its declarations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

// one function or value per subpath, taken from that module's index.ts
const EXPECTED: Record<string, string> = {
  './amp': 'runScan',
  './bcp38': 'generateRules',
  './capacity': 'contention',
  './config': 'loadConfig',
  './ddos': 'analyzeCapture',
  './iperf': 'runClient',
  './mailq': 'readQueue',
  './net': 'trace',
  './ntp': 'ntpQuery',
  './probe': 'probeTcp',
};

test('every library subpath in "exports" is the one expected, with types and code in dist/', () => {
  const subpaths = Object.keys(pkg.exports)
    .filter((k) => k !== './package.json')
    .sort();
  assert.deepEqual(subpaths, Object.keys(EXPECTED).sort());
  for (const sub of subpaths) {
    const name = sub.slice(2);
    assert.deepEqual(pkg.exports[sub], {
      types: `./dist/${name}/index.d.ts`,
      default: `./dist/${name}/index.js`,
    });
    assert.ok(fs.existsSync(path.join(ROOT, 'src', name, 'index.ts')), `src/${name}/index.ts`);
    assert.ok(
      fs.existsSync(path.join(ROOT, 'dist', name, 'index.d.ts')),
      `dist/${name}/index.d.ts (declaration build)`,
    );
  }
});

for (const [sub, name] of Object.entries(EXPECTED)) {
  test(`import('hostops${sub.slice(1)}') has ${name}`, async () => {
    const mod = await import(`hostops${sub.slice(1)}`);
    assert.ok(name in mod, `${name} exported by hostops${sub.slice(1)}`);
    assert.notEqual(mod[name], undefined);
  });
}
