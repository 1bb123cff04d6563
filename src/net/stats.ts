/** RTT statistics computed exactly as the reference tools do (integer microseconds). */

/** iputils ping: sums over integer µs, mdev = integer sqrt of the population variance. */
export class PingStats {
  tsum = 0;
  tsum2 = 0;
  tmin = Number.MAX_SAFE_INTEGER;
  tmax = 0;
  /** replies counted in the sums (received + duplicates) */
  n = 0;

  add(us: number): void {
    this.tsum += us;
    this.tsum2 += us * us;
    if (us < this.tmin) this.tmin = us;
    if (us > this.tmax) this.tmax = us;
    this.n++;
  }

  /** min/avg/max/mdev in µs, or null when nothing arrived. */
  result(): { min: number; avg: number; max: number; mdev: number } | null {
    if (this.n === 0) return null;
    const total = this.n;
    const avg = Math.trunc(this.tsum / total);
    const tmvar =
      this.tsum < 0x7fffffff
        ? Math.trunc((this.tsum2 - Math.trunc((this.tsum * this.tsum) / total)) / total)
        : Math.trunc(this.tsum2 / total) - avg * avg;
    return { min: this.tmin, avg, max: this.tmax, mdev: llsqrt(tmvar) };
  }
}

/** Integer Newton square root as ping's llsqrt. */
export function llsqrt(a: number): number {
  let x = a;
  let prev = Number.MAX_SAFE_INTEGER;
  if (x > 0) {
    while (x < prev) {
      prev = x;
      x = Math.trunc((x + Math.trunc(a / x)) / 2);
    }
  }
  return x;
}

/** `%ld.%03ld` of a µs value, truncated as ping prints it. */
export function usMs(us: number): string {
  return `${Math.trunc(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** ping's per-reply time= field (rounding bands of ping_common.c). */
export function pingTime(us: number): string {
  if (us >= 100000 - 50) return `${Math.trunc((us + 500) / 1000)}`;
  if (us >= 10000 - 5)
    return `${Math.trunc((us + 50) / 1000)}.${Math.trunc(((us + 50) % 1000) / 100)}`;
  if (us >= 1000)
    return `${Math.trunc((us + 5) / 1000)}.${String(Math.trunc(((us + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.trunc(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** mtr's per-hop statistics (net.c): integer µs, running mean, Welford sample variance, jitter. */
export class MtrStats {
  sent = 0;
  recv = 0;
  last = 0;
  best = 0;
  worst = 0;
  avg = 0;
  ssd = 0;
  gmean = 0;
  jitter = 0;
  javg = 0;
  jworst = 0;
  jinta = 0;

  add(us: number): void {
    const old = this.last;
    this.recv++;
    this.last = us;
    if (this.recv === 1) {
      this.best = us;
      this.worst = us;
    }
    if (us < this.best) this.best = us;
    if (us > this.worst) this.worst = us;
    const oldavg = this.avg;
    this.avg += (us - oldavg) / this.recv;
    this.ssd += (us - oldavg) * (us - this.avg);
    const n = this.recv;
    this.gmean = n === 1 ? us : Math.pow(this.gmean, (n - 1) / n) * Math.pow(us, 1 / n);
    if (n > 1) {
      this.jitter = Math.abs(us - old);
      this.javg += (this.jitter - this.javg) / (n - 1);
      if (this.jitter > this.jworst) this.jworst = this.jitter;
      this.jinta += this.jitter - ((this.jinta + 8) >> 4);
    }
  }

  /** sample standard deviation in µs (0 when fewer than two replies) */
  stdev(): number {
    return this.recv > 1 ? Math.sqrt(this.ssd / (this.recv - 1)) : 0;
  }
}
