import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PingRound } from '../../src/store/index.js';

export function tempDir(prefix = 'hostops-store-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic rounds: rtt around base ms, every 5th ping lost when lossy. */
export function rounds(
  site: string,
  target: string,
  from: number,
  n: number,
  step = 20,
  base = 10,
  lossy = false,
): PingRound[] {
  const out: PingRound[] = [];
  for (let i = 0; i < n; i++) {
    const rtts: number[] = [];
    let received = 0;
    for (let k = 0; k < 20; k++) {
      if (lossy && k % 5 === 0) continue;
      rtts.push((base + (k % 10) * 0.5) / 1000);
      received++;
    }
    out.push({ site, target, ts: from + i * step, sent: 20, received, rtts });
  }
  return out;
}
