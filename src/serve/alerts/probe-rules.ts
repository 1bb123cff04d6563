/**
 * The SLA rules of the `probes:` section, as the ping SLA rule does it for targets: the runs of
 * each probe over its window against its sla (share of successful runs, median duration and
 * median of each phase; clearing needs 10% inside a duration bound), and the certificate's days
 * left against sla.certDays.
 */
import { Gauge, type Registry } from 'prom-client';
import {
  formatBound,
  meets,
  type Bound,
  type ProbeConfig,
  type ProbeSlaConfig,
  type ResolvedConfig,
} from '../../config/index.js';
import { median, type ProbeRecord } from '../../store/index.js';
import type { AlertEngine, AlertSpec, Verdict } from './engine.js';

interface Run {
  ts: number;
  success: boolean;
  duration: number | null;
  phases: Record<string, number | null>;
}

const pct = (r: number) => `${Number((r * 100).toFixed(r < 0.01 ? 2 : 1))}%`;
const msText = (s: number | null) =>
  s == null ? 'none' : `${Number((s * 1000).toFixed(s < 0.01 ? 3 : 1))} ms`;
const inside = (b: Bound): Bound => ({ op: b.op, value: b.value * 0.9 });
const dur = (s: number) =>
  s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;

/** A probe's runs over the window against its SLA. */
export function judgeProbe(
  sla: ProbeSlaConfig,
  runs: Run[],
): { ok: boolean; clear: boolean; success: number; parts: string[] } {
  const n = runs.length;
  const success = n ? runs.filter((r) => r.success).length / n : 1;
  const parts: string[] = [];
  let ok = true;
  let clear = true;
  if (sla.success !== undefined) {
    const good = success >= sla.success;
    ok &&= good;
    clear &&= good;
    parts.push(
      `${runs.filter((r) => r.success).length} of ${n} runs succeeded (${pct(success)}) against at least ${pct(sla.success)}`,
    );
  }
  const bounded: [string, Bound, number | null][] = [];
  if (sla.duration)
    bounded.push([
      'duration',
      sla.duration,
      median(runs.filter((r) => r.success && r.duration != null).map((r) => r.duration as number)),
    ]);
  for (const [phase, b] of Object.entries(sla.phases ?? {})) {
    bounded.push([
      phase,
      b,
      median(
        runs
          .filter((r) => r.success && r.phases[phase] != null)
          .map((r) => r.phases[phase] as number),
      ),
    ]);
  }
  for (const [what, b, m] of bounded) {
    if (m == null) continue; // no successful run: the success share speaks for it
    ok &&= meets(b, m);
    clear &&= meets(inside(b), m);
    parts.push(`median ${what} ${msText(m)} against ${formatBound(b, 'ms')}`);
  }
  return { ok, clear, success, parts };
}

export class ProbeRules {
  private runs = new Map<string, Run[]>();
  private byName = new Map<string, ProbeConfig>();
  /** Probes whose ok and ratio series are set. */
  private judged = new Set<string>();
  private ok: Gauge<'probe'> | null = null;
  private ratio: Gauge<'probe'> | null = null;
  private certLimit: Gauge<'probe'> | null = null;

  constructor(
    private cfg: ResolvedConfig,
    private engine: AlertEngine,
    registry: Registry | null,
  ) {
    if (registry) {
      this.ok = new Gauge({
        name: 'hostops_probe_sla_ok',
        help: '1 when a probe meets its SLA over the window (success share, median duration and phases), 0 when not.',
        labelNames: ['probe'],
        registers: [registry],
      });
      this.certLimit = new Gauge({
        name: 'hostops_probe_cert_days_limit',
        help: "The days a probe's certificate must have left (its sla.certDays).",
        labelNames: ['probe'],
        registers: [registry],
      });
      this.ratio = new Gauge({
        name: 'hostops_probe_success_ratio',
        help: 'Share of the runs of a probe with an SLA that succeeded over its SLA window (0..1).',
        labelNames: ['probe'],
        registers: [registry],
      });
    }
    this.configure(cfg);
  }

  private get rules() {
    return this.cfg.alerts.rules;
  }
  windowOf(p: ProbeConfig): number {
    return p.sla?.window ?? this.rules.probeSla.window;
  }

  configure(cfg: ResolvedConfig): void {
    this.cfg = cfg;
    this.byName = new Map(cfg.probes.map((p) => [p.name, p]));
    for (const k of [...this.runs.keys()]) if (!this.byName.get(k)?.sla) this.runs.delete(k);
    this.certLimit?.reset();
    for (const p of cfg.probes)
      if (p.sla?.certDays !== undefined) this.certLimit?.set({ probe: p.name }, p.sla.certDays);
    for (const name of [...this.judged]) {
      if (this.byName.get(name)?.sla) continue;
      this.ok?.remove({ probe: name });
      this.ratio?.remove({ probe: name });
      this.judged.delete(name);
    }
  }

  private spec(
    alertname: string,
    r: { for: number; severity: AlertSpec['severity'] },
    probe: string,
    summary: string,
    description: string,
  ): AlertSpec {
    return {
      alertname,
      severity: r.severity,
      for: r.for,
      labels: { probe },
      annotations: { summary, description },
    };
  }

  /** Runs stored before a restart, so the window is whole from the start. */
  seed(probe: string, records: ProbeRecord[]): void {
    const p = this.byName.get(probe);
    if (!p?.sla || !records.length || this.runs.has(probe)) return;
    this.runs.set(
      probe,
      records.map((r) => ({
        ts: r.ts,
        success: r.success,
        duration: r.duration,
        phases: r.phases,
      })),
    );
    this.judge(p, records[records.length - 1].ts);
  }

  probe(rec: ProbeRecord): void {
    const p = this.byName.get(rec.probe);
    if (!p?.sla) return;
    const list = this.runs.get(p.name) ?? [];
    list.push({ ts: rec.ts, success: rec.success, duration: rec.duration, phases: rec.phases });
    this.runs.set(p.name, list);
    this.judge(p, rec.ts);
    if (p.sla.certDays !== undefined) this.cert(p, rec);
  }

  private judge(p: ProbeConfig, ts: number): void {
    const sla = p.sla!;
    const list = this.runs.get(p.name)!;
    const window = this.windowOf(p);
    while (list.length && list[0].ts <= ts - window) list.shift();
    if (sla.success === undefined && !sla.duration && !sla.phases) return;
    const j = judgeProbe(sla, list);
    this.ok?.set({ probe: p.name }, j.ok ? 1 : 0);
    this.ratio?.set({ probe: p.name }, j.success);
    this.judged.add(p.name);
    const rule = this.rules.probeSla;
    if (!rule.enabled) return;
    const v: Verdict = !j.ok ? 'raise' : j.clear ? 'clear' : 'hold';
    this.engine.set(
      this.spec(
        'HostopsProbeSLABreach',
        rule,
        p.name,
        `${p.prober} probe ${p.name} (${p.target}) is ${j.ok ? 'within' : 'outside'} its SLA`,
        `over the last ${dur(window)} (${list.length} runs): ${j.parts.join('; ')}`,
      ),
      v,
      ts,
    );
  }

  private cert(p: ProbeConfig, rec: ProbeRecord): void {
    const rule = this.rules.certExpiry;
    if (!rule.enabled || rec.certExpiry == null) return; // no certificate seen this run: the success share speaks for it
    const want = p.sla!.certDays!;
    const days = Math.floor((rec.certExpiry - rec.ts) / 86400);
    const v: Verdict = days < want ? 'raise' : 'clear';
    this.engine.set(
      this.spec(
        'HostopsCertExpiring',
        rule,
        p.name,
        `the certificate of ${p.target} expires in ${days} days`,
        `${p.prober} probe ${p.name}: the certificate of ${p.target} expires ${new Date(rec.certExpiry * 1000).toISOString()}, ${days} days from the run, against at least ${want} days`,
      ),
      v,
      rec.ts,
    );
  }
}
