// npm "install" hook: keep the prebuilt addons when they load on this machine (no compiler
// needed), else build them from source with node-gyp. A git checkout always builds, so the
// addons there match the C sources; HOSTOPS_BUILD_FROM_SOURCE=1 forces a build anywhere.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ADDONS, prebuildDir as dir, root, runNodeGyp } from './native-addons.mjs';

const log = (m) => process.stderr.write(`hostops install: ${m}\n`);

/** Load every prebuilt addon in a child, so a libc mismatch cannot take this process down. */
function prebuiltLoads() {
  const files = ADDONS.map((n) => path.join(dir, `${n}.node`));
  if (!files.every((f) => existsSync(f)))
    return `no prebuilt addons for ${process.platform}-${process.arch}`;
  const r = spawnSync(
    process.execPath,
    ['-e', `for (const f of ${JSON.stringify(files)}) require(f)`],
    { encoding: 'utf8' },
  );
  return r.status === 0
    ? null
    : `the prebuilt addons do not load here: ${(r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr).trim()}`;
}

const checkout = existsSync(path.join(root, '.git'));
const why =
  process.env.HOSTOPS_BUILD_FROM_SOURCE === '1'
    ? 'HOSTOPS_BUILD_FROM_SOURCE=1'
    : checkout
      ? 'a git checkout builds from source'
      : prebuiltLoads();
if (!why) {
  log(`using the prebuilt addons in ${path.relative(root, dir)}`);
  process.exit(0);
}
log(`${why}; building the addons with node-gyp (needs python3, make and a C compiler)`);
// offline, node-gyp cannot download headers: use the ones installed with this node when present
const nodePrefix = path.resolve(path.dirname(process.execPath), '..');
const args = ['rebuild'];
if (
  !process.env.npm_config_nodedir &&
  existsSync(path.join(nodePrefix, 'include', 'node', 'node_api.h'))
)
  args.push(`--nodedir=${nodePrefix}`);
const r = runNodeGyp(args);
if (r.status !== 0) {
  log(
    'building the native addons failed: install python3, make and gcc (Debian: apt-get install python3 make g++), then `npm rebuild -g hostops`',
  );
  process.exit(r.status ?? 1);
}
