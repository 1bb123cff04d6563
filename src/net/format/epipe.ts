/** A reader that goes away (`| head`) ends the command quietly, as a C tool dies of SIGPIPE. */
export function quietOnEpipe(): void {
  for (const s of [process.stdout, process.stderr]) {
    if (s.listenerCount('error') === 0) s.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  }
}
