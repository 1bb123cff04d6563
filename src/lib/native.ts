/** Loads the project's N-API addons from build/Release (built by node-gyp at npm install). */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { envError } from './errors.js';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function loadAddon<T>(name: 'hostops_probe' | 'hostops_raw' | 'hostops_scan' | 'hostops_spool' | 'hostops_sock'): T {
  const file = path.join(root, 'build', 'Release', `${name}.node`);
  try {
    return require(file) as T;
  } catch (e) {
    throw envError('NATIVE_ADDON_MISSING', `the native addon ${name} could not be loaded from ${file}`,
      'run `npm install` (it builds the addon with node-gyp; needs python3, make and g++)');
  }
}
