/**
 * The one handler for a failed write of a command's output. A reader that goes away (`| head`)
 * ends the command quietly with its exit status so far, as a C tool dies of SIGPIPE; any other
 * failed write (ENOSPC, EFBIG, EIO) is OUTPUT_WRITE_FAILED, exit 3, and the work stops there.
 */
import { outputWriteError } from '../lib/output.js';
// main.ts loads the command files; the cycle is safe (reportError is used only once a command runs)
import { reportError } from './main.js';

let installed = false;

export function endOnOutputError(): void {
  if (installed) return;
  installed = true;
  let failed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (failed) return; // later writes to the destroyed stream fail too
    failed = true;
    process.exit(
      reportError(
        outputWriteError(process.stdout, e),
        process.argv.includes('--debug'),
        process.argv.includes('--json'),
      ),
    );
  });
  // nowhere left to report a failed write of standard error: end with the environment status
  process.stderr.on('error', (e: NodeJS.ErrnoException) =>
    process.exit(e.code === 'EPIPE' ? (process.exitCode ?? 0) : 3),
  );
}
