/**
 * Bounds for the read API: every window and range parameter is checked (a clear 400 naming the
 * parameter and its limit), and heavy queries pass a gate so a burst of them queues (and, past a
 * short queue, is refused with 503) instead of piling up memory and database work.
 */
export class BadParam extends Error {
  readonly statusCode = 400;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
const human = (s: number) =>
  s % 86400 === 0
    ? plural(s / 86400, 'day')
    : s % 3600 === 0
      ? plural(s / 3600, 'hour')
      : plural(s, 'second');

/** A number of seconds in [min, max], or the default when absent. */
export function secondsParam(
  q: Record<string, string | undefined>,
  name: string,
  dflt: number,
  min: number,
  max: number,
): number {
  const v = q[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new BadParam(
      `${name} must be a number of seconds, got ${JSON.stringify(v.slice(0, 40))}`,
    );
  if (n < min || n > max)
    throw new BadParam(
      `${name} must be between ${min} and ${max} seconds (${human(max)}), got ${v.slice(0, 40)}`,
    );
  return n;
}

/** from/to (Unix seconds) with to - from in (0, maxSpan]; defaults: to = now, from = to - dfltSpan. */
export function rangeParams(
  q: Record<string, string | undefined>,
  now: number,
  dfltSpan: number,
  maxSpan: number,
): { from: number; to: number } {
  const time = (name: string, d: number) => {
    const v = q[name];
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > now + 86400)
      throw new BadParam(
        `${name} must be a Unix time in seconds, not in the future, got ${JSON.stringify(v.slice(0, 40))}`,
      );
    return n;
  };
  const to = time('to', now);
  const from = time('from', to - dfltSpan);
  if (!(from < to)) throw new BadParam('from must be before to');
  if (to - from > maxSpan)
    throw new BadParam(
      `to - from must be at most ${maxSpan} seconds (${human(maxSpan)}), got ${to - from}`,
    );
  return { from, to };
}

export class GateFull extends Error {
  readonly statusCode = 503;
}

/** At most `running` heavy queries at once and `queued` waiting; beyond that, GateFull. */
export class QueryGate {
  private active = 0;
  private queue: (() => void)[] = [];

  constructor(
    private running = 2,
    private queued = 16,
  ) {}

  get load(): { running: number; queued: number } {
    return { running: this.active, queued: this.queue.length };
  }

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.queued)
        throw new GateFull(
          `too many heavy queries at once (${this.running} running, ${this.queued} waiting): try again shortly`,
        );
      await new Promise<void>((r) => this.queue.push(r));
    } else this.active++;
    try {
      return await f();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Concurrent calls with one key share one computation (six dashboards refreshing at once cost one query). */
export class SingleFlight<T> {
  private inFlight = new Map<string, Promise<T>>();

  run(key: string, f: () => Promise<T>): Promise<T> {
    let p = this.inFlight.get(key);
    if (!p) {
      p = f().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }
}
