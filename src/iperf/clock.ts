/** Monotonic time in seconds: CLOCK_MONOTONIC, the clock iperf3 stamps UDP datagrams with. */
export function nowSec(): number {
  const [s, ns] = process.hrtime();
  return s + ns / 1e9;
}

/** CPU use of this process between two points, as iperf3's cpu_util percentages. */
export class CpuMeter {
  private cpu = process.cpuUsage();
  private wall = nowSec();

  reset(): void {
    this.cpu = process.cpuUsage();
    this.wall = nowSec();
  }

  read(): { total: number; user: number; system: number } {
    const d = process.cpuUsage(this.cpu);
    const wallUs = Math.max(1, (nowSec() - this.wall) * 1e6);
    const user = (100 * d.user) / wallUs;
    const system = (100 * d.system) / wallUs;
    return { total: user + system, user, system };
  }
}
