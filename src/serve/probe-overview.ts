/**
 * The probes: rows of the overview (an additive `probes` list next to the latency matrix): per
 * site and probe, the share of successful runs and the median duration over the window, the last
 * run, the certificate's days left, and whether the probe meets its SLA there (over the SLA's own
 * window, as the alert rule judges it).
 */
import type { ProbeConfig } from '../config/index.js';
import { median, type ProbeRecord, type Store } from '../store/index.js';
import { judgeProbe } from './alerts/probe-rules.js';

export interface ProbeCell {
  site: string;
  probe: string;
  prober: string;
  target: string;
  runs: number;
  success: number | null;
  median: number | null;
  last: {
    ts: number;
    success: boolean;
    failure: string | null;
    duration: number | null;
    status: number | null;
    rcode: string | null;
  } | null;
  certDaysLeft: number | null;
  sla: boolean;
  ok: boolean | null;
}

export async function buildProbeOverview(
  store: Store,
  probes: ProbeConfig[],
  now: number,
  window: number,
  slaWindow: number,
): Promise<ProbeCell[]> {
  const latest = await store.latestProbes();
  const byName = new Map(probes.map((p) => [p.name, p]));
  const cells: ProbeCell[] = [];
  for (const l of latest) {
    const runs: ProbeRecord[] = await store.probeHistory(l.site, l.probe, now - window, now);
    const cfg = byName.get(l.probe);
    const ok = runs.filter((r) => r.success);
    const w = cfg?.sla?.window ?? slaWindow;
    const judged = !cfg?.sla
      ? []
      : w === window
        ? runs
        : await store.probeHistory(l.site, l.probe, now - w, now);
    const j = cfg?.sla && judged.length ? judgeProbe(cfg.sla, judged) : null;
    const certOk =
      cfg?.sla?.certDays === undefined ||
      l.certExpiry == null ||
      Math.floor((l.certExpiry - now) / 86400) >= cfg.sla.certDays;
    cells.push({
      site: l.site,
      probe: l.probe,
      prober: l.prober,
      target: l.target,
      runs: runs.length,
      success: runs.length ? ok.length / runs.length : null,
      median: median(ok.map((r) => r.duration).filter((x): x is number => x != null)),
      last: {
        ts: l.ts,
        success: l.success,
        failure: l.failure,
        duration: l.duration,
        status: l.status,
        rcode: l.rcode,
      },
      certDaysLeft: l.certExpiry == null ? null : Math.floor((l.certExpiry - now) / 86400),
      sla: !!cfg?.sla,
      ok: cfg?.sla ? (j ? j.ok : true) && certOk : null,
    });
  }
  const order = new Map(probes.map((p, i) => [p.name, i]));
  return cells.sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      (order.get(a.probe) ?? 1e9) - (order.get(b.probe) ?? 1e9) ||
      a.probe.localeCompare(b.probe),
  );
}
