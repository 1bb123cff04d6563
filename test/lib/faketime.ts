/**
 * libfaketime preloaded straight into a child process. Not through Debian's `faketime` wrapper:
 * the wrapper opens a named semaphore per PID (/dev/shm/sem.faketime_sem_<pid>) and leaves it
 * behind when its child is killed, so on a long-lived host a reused PID makes it refuse to start
 * ("sem_open: File exists"). The library alone keeps no shared state.
 */
import { existsSync, rmSync } from 'node:fs';

const LIB = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
].find((p) => existsSync(p));

/** The path of libfaketime.so.1; throws naming the package when it is not installed. */
export function faketimeLib(): string {
  if (!LIB)
    throw new Error(
      "libfaketime is not installed: Debian's faketime package (scripts/apt-packages.txt)",
    );
  return LIB;
}

/** Environment additions that start the child's clock at `epoch` (seconds, UTC) and let it run. */
export function faketimeAt(epoch: number): Record<string, string> {
  const iso = new Date(epoch * 1000).toISOString(); // 2026-12-01T00:00:00.000Z
  return {
    LD_PRELOAD: faketimeLib(),
    FAKETIME: `@${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
    TZ: 'UTC',
  };
}

/**
 * Remove the semaphore and shared memory libfaketime made for the child `pid` (it unlinks them at
 * a normal exit only; mrtg leaves them): a test leaves nothing behind in /dev/shm.
 */
export function faketimeCleanup(pid: number | undefined): void {
  if (!pid) return;
  for (const f of [`/dev/shm/sem.faketime_sem_${pid}`, `/dev/shm/faketime_shm_${pid}`])
    rmSync(f, { force: true });
}
