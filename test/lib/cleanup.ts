/**
 * One registry for what tests and benchmarks must not leave behind (network namespaces, private
 * PostgreSQL clusters): each resource registers its synchronous cleanup, which runs on a normal
 * exit and on SIGTERM, SIGINT and SIGHUP (a runner's `timeout`, Ctrl-C, a closed terminal), newest
 * first. Handlers are installed by the first registration only, so a process that never makes
 * such a resource keeps Node's default signal behaviour.
 */
type Cleanup = () => void;

const jobs = new Set<Cleanup>();
let installed = false;

/** Run (and forget) every registered cleanup, newest first; one failure does not stop the rest. */
export function runCleanups(): void {
  for (const f of [...jobs].reverse()) {
    jobs.delete(f);
    try {
      f();
    } catch (e) {
      process.stderr.write(`cleanup failed: ${(e as Error).message}\n`);
    }
  }
}

const SIGNALS = [
  ['SIGTERM', 143],
  ['SIGINT', 130],
  ['SIGHUP', 129],
] as const;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  // a listener replaces the default "die at once": clean up, then die with the usual status
  for (const [sig, status] of SIGNALS)
    process.on(sig, () => {
      runCleanups();
      process.exit(status);
    });
}

/** Register a synchronous cleanup; the returned function unregisters it (after a normal stop). */
export function onCleanup(f: Cleanup): () => void {
  install();
  jobs.add(f);
  return () => {
    jobs.delete(f);
  };
}
