/** A progress bar on stderr when it is a TTY; a no-op otherwise (piped, --json, CI). */
import cliProgress from 'cli-progress';
import { isInteractive } from './output.js';

export interface Progress {
  tick(n?: number): void;
  total(n: number): void;
  stop(): void;
}

export function progress(label: string, total: number, enabled = true): Progress {
  if (!enabled || !isInteractive()) return { tick() {}, total() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick: (n = 1) => bar.increment(n),
    total: (n) => bar.setTotal(n),
    stop: () => bar.stop(),
  };
}
