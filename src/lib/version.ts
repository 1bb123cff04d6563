/** hostops's version, read once from package.json (dist/lib and src/lib both sit two levels below it). */
import { createRequire } from 'node:module';

export const VERSION: string = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;
