/**
 * The one prober contract (blackbox_exporter's ProbeFn): a name, and probe(target, module
 * options, context) resolving to the module's own result type. The context carries the abort
 * signal and a log the prober writes its steps to, which `?debug=true` on a probe's API route
 * shows (as blackbox_exporter's /probe?debug=true).
 */

/** One line of a probe's log. */
export type ProbeLog = (msg: string) => void;

export interface ProbeContext {
  log?: ProbeLog;
  signal?: AbortSignal;
}

export interface Prober<T, M, R> {
  /** Which implementation this is (shown by /api/status). */
  readonly name: string;
  probe(target: T, module: M, ctx?: ProbeContext): Promise<R>;
}

/** A log that keeps its lines with the time since it was made, for debug output. */
export function bufferLog(now: () => number = () => performance.now()): {
  log: ProbeLog;
  lines: string[];
} {
  const t0 = now();
  const lines: string[] = [];
  return {
    lines,
    log: (msg) => {
      lines.push(`+${((now() - t0) / 1000).toFixed(6)}s ${msg}`);
    },
  };
}
