// postinstall: apply patches/ (patch-package) to the dependencies of a git checkout. An installed
// release tarball has no patches/ folder: its bundled dependencies were patched when it was packed
// (see test/install/package.test.ts), so there is nothing to do there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

if (existsSync('patches')) {
  const bin = createRequire(import.meta.url).resolve('patch-package/index.js');
  const r = spawnSync(process.execPath, [bin, '--error-on-fail'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
