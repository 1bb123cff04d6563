/**
 * Starts a worker thread. Built code (dist/*.js) runs as is; when the sources run as .ts under
 * tsx (tests, benchmarks) the worker first registers tsx's loader itself, because an inherited
 * `--import tsx` does not reach worker threads.
 */
import { Worker } from 'node:worker_threads';

export function newWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true });
}
