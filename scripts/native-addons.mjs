// What scripts/install-native.mjs (npm install) and scripts/prebuild.mjs (npm pack) both need to
// know about the native addons: their names, where prebuilds live and how to run node-gyp.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADDONS = [
  'hostops_probe',
  'hostops_raw',
  'hostops_scan',
  'hostops_spool',
  'hostops_sock',
];
/** prebuilds/<platform>-<arch>: what `npm pack` ships and `npm install` tries first. */
export const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);

/** npm puts its own node-gyp in npm_config_node_gyp; run by hand, npm's copy beside node, else PATH's. */
function nodeGypScript() {
  return [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ].find((f) => f && existsSync(f));
}

/** Run node-gyp in the package root with the build output on this terminal. */
export function runNodeGyp(args) {
  const gyp = nodeGypScript();
  return gyp
    ? spawnSync(process.execPath, [gyp, ...args], { cwd: root, stdio: 'inherit' })
    : spawnSync('node-gyp', args, { cwd: root, stdio: 'inherit' });
}
