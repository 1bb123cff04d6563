/**
 * Loads the project's N-API addons. Where from, in order:
 *   1. $HOSTOPS_NATIVE_DIR only, when set (e.g. a sanitizer build for the tests: no silent fallback);
 *   2. build/Release: what node-gyp built in this checkout or at install time (the newest code);
 *   3. prebuilds/<platform>-<arch>: the addons `npm pack` ships, so an install needs no compiler.
 * N-API keeps one binary good for every Node >= 20, so the prebuilds carry no ABI tag.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { envError } from './errors.js';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type AddonName =
  | 'hostops_probe'
  | 'hostops_raw'
  | 'hostops_scan'
  | 'hostops_spool'
  | 'hostops_sock';
export const ADDONS: readonly AddonName[] = [
  'hostops_probe',
  'hostops_raw',
  'hostops_scan',
  'hostops_spool',
  'hostops_sock',
];

/** The directories searched for `<name>.node`, first match wins. */
export function addonDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.HOSTOPS_NATIVE_DIR) return [path.resolve(env.HOSTOPS_NATIVE_DIR)];
  return [
    path.join(root, 'build', 'Release'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`),
  ];
}

/** The file loadAddon would load, or undefined when none exists. */
export function addonFile(name: AddonName): string | undefined {
  return addonDirs()
    .map((d) => path.join(d, `${name}.node`))
    .find((f) => fs.existsSync(f));
}

export function loadAddon<T>(name: AddonName): T {
  const file = addonFile(name);
  if (!file) {
    throw envError(
      'NATIVE_ADDON_MISSING',
      `the native addon ${name} was not found in ${addonDirs().join(' or ')}`,
      'reinstall hostops (the package ships prebuilt linux-x64 addons), or build them: `npm rebuild hostops` (needs python3, make and g++)',
    );
  }
  try {
    return require(file) as T;
  } catch (e) {
    throw envError(
      'NATIVE_ADDON_MISSING',
      `the native addon ${name} could not be loaded from ${file}: ${(e as Error).message.split('\n')[0]}`,
      'the prebuilt addons are for linux-x64 with glibc (docs/install.md); elsewhere build them: `npm rebuild hostops` (needs python3, make and g++)',
    );
  }
}
