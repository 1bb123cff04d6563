/**
 * The latency overview matrix (site x target): median RTT and loss over the recent window, and SLA
 * compliance (share of 5-minute buckets meeting the pair's bounds) over the SLA window. Reads the
 * 5-minute rollups only, so 100 targets x 30 days of history cost one indexed range scan.
 */
import { formatBound, meets, type Bound } from '../config/index.js';
import type { TargetConfig } from '../config/index.js';
import type { Store } from '../store/index.js';
import { median } from '../store/index.js';

export interface PairSla { rtt?: Bound; loss?: Bound }
export interface OverviewCellOut {
  site: string; target: string; median: number | null; loss: number | null; sent: number;
  compliance: number | null; sla: { rtt?: string; loss?: string } | null; ok: boolean | null; lastTs: number | null;
}
export interface Overview { generatedAt: number; window: number; slaWindow: number; sites: string[]; targets: string[]; cells: OverviewCellOut[] }

export function slaFor(targets: TargetConfig[], site: string, target: string): PairSla | null {
  const t = targets.find((x) => x.name === target);
  if (!t) return null;
  const s = t.sites?.[site] ?? t.sla;
  return s && (s.rtt || s.loss) ? s : null;
}

export async function buildOverview(store: Store, targets: TargetConfig[], now: number, window = 3600, slaWindow = 86400): Promise<Overview> {
  const rows = await store.overviewRows(now - Math.max(window, slaWindow));
  const pairs = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.site}\u0000${r.target}`;
    let a = pairs.get(k);
    if (!a) pairs.set(k, a = []);
    a.push(r);
  }
  const cells: OverviewCellOut[] = [];
  for (const [k, rs] of pairs) {
    const [site, target] = k.split('\u0000');
    const recent = rs.filter((r) => r.ts >= now - window);
    const sent = recent.reduce((a, r) => a + Number(r.sent), 0);
    const received = recent.reduce((a, r) => a + Number(r.received), 0);
    const med = median(recent.map((r) => r.median).filter((x): x is number => x != null));
    const sla = slaFor(targets, site, target);
    let compliance: number | null = null;
    if (sla) {
      const judged = rs.filter((r) => r.ts >= now - slaWindow && Number(r.sent) > 0);
      const good = judged.filter((r) => {
        const loss = 1 - Number(r.received) / Number(r.sent);
        return (!sla.rtt || (r.median != null && meets(sla.rtt, r.median))) && (!sla.loss || meets(sla.loss, loss));
      }).length;
      compliance = judged.length ? good / judged.length : null;
    }
    const loss = sent ? 1 - received / sent : null;
    const ok = !sla || med == null ? null
      : (!sla.rtt || meets(sla.rtt, med)) && (!sla.loss || loss == null || meets(sla.loss, loss));
    cells.push({
      site, target, median: med, loss, sent, compliance, ok,
      sla: sla ? { ...(sla.rtt ? { rtt: formatBound(sla.rtt, 'ms') } : {}), ...(sla.loss ? { loss: formatBound(sla.loss, '%') } : {}) } : null,
      lastTs: rs.reduce((a, r) => Math.max(a, r.ts), 0) || null,
    });
  }
  const order = new Map(targets.map((t, i) => [t.name, i]));
  const tnames = [...new Set(cells.map((c) => c.target))].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9) || a.localeCompare(b));
  const snames = [...new Set(cells.map((c) => c.site))].sort();
  cells.sort((a, b) => a.site.localeCompare(b.site) || tnames.indexOf(a.target) - tnames.indexOf(b.target));
  return { generatedAt: now, window, slaWindow, sites: snames, targets: tnames, cells };
}
