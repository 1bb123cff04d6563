/**
 * The built-in rules: each turns what a job just produced (a ping round, a path, a mail queue
 * sample, a check, a job run) into verdicts for the engine. The words of every annotation say what
 * was measured against which limit. Thresholds come from alerts.rules in hostops.yaml.
 */
import { seriesOf } from '../feeds.js';
import type { ResolvedConfig } from '../../config/index.js';
import { formatBound, meets, type Bound } from '../../config/index.js';
import type {
  CheckRecord,
  MailqSample,
  PathRecord,
  PingRound,
  ThroughputRecord,
} from '../../store/index.js';
import { median } from '../../store/index.js';
import { slaFor, type PairSla } from '../overview.js';
import type { AlertEngine, AlertSpec, Verdict } from './engine.js';
import type { AlertMetrics } from './metrics.js';

const ms = (s: number) => `${Number((s * 1000).toFixed(s < 0.01 ? 3 : 1))} ms`;
const pct = (r: number) => `${Number((r * 100).toFixed(r < 0.01 ? 2 : 1))}%`;
export const dur = (s: number) =>
  s % 3600 === 0 && s
    ? `${s / 3600}h`
    : s % 60 === 0 && s
      ? `${s / 60}m`
      : `${Number(s.toFixed(1))}s`;
const bps = (b: number) =>
  b >= 1e9
    ? `${(b / 1e9).toFixed(2)} Gbit/s`
    : b >= 1e6
      ? `${(b / 1e6).toFixed(1)} Mbit/s`
      : `${(b / 1e3).toFixed(1)} kbit/s`;
/** A bound made stricter by `margin` (0.1: 10% inside), the level a value must reach to clear. */
const inside = (b: Bound, margin = 0.1): Bound => ({ op: b.op, value: b.value * (1 - margin) });

interface Round {
  ts: number;
  sent: number;
  received: number;
  median: number | null;
}

export class BuiltinRules {
  /** Recent rounds per target, for the SLA window. */
  private rounds = new Map<string, Round[]>();
  private paths = new Map<string, { sig: string; text: string; hops: number }>();
  private mailq: { ts: number; messages: number }[] = [];
  /** Per target name: its host and its SLA from this site (looked up per round, so kept in a map). */
  private byName = new Map<string, { host: string; sla: PairSla | null }>();
  /** Targets whose compliance and ok series are set. */
  private judged = new Set<string>();

  constructor(
    private cfg: ResolvedConfig,
    private engine: AlertEngine,
    private metrics: AlertMetrics | null,
  ) {
    this.index();
  }

  private index(): void {
    this.byName = new Map(
      this.cfg.targets.map((t) => [
        t.name,
        { host: t.host, sla: slaFor(this.cfg.targets, this.cfg.site, t.name) },
      ]),
    );
    // a target measured through transit feeds: each series (target@feed) is judged on its own
    for (const s of seriesOf(this.cfg.targets, this.cfg.feeds)) {
      if (s.feed)
        this.byName.set(s.name, {
          host: s.host,
          sla: slaFor(this.cfg.targets, this.cfg.site, s.name),
        });
    }
  }

  get rules() {
    return this.cfg.alerts.rules;
  }

  configure(cfg: ResolvedConfig): void {
    this.cfg = cfg;
    this.index();
    const names = new Set(this.byName.keys());
    for (const k of [...this.rounds.keys()]) if (!names.has(k)) this.rounds.delete(k);
    for (const k of [...this.paths.keys()]) if (!names.has(k)) this.paths.delete(k);
    this.slaLimits();
  }

  private spec(
    alertname: string,
    r: { for: number; severity: AlertSpec['severity'] },
    labels: Record<string, string>,
    summary: string,
    description: string,
    extra: Record<string, string> = {},
  ): AlertSpec {
    return {
      alertname,
      severity: r.severity,
      for: r.for,
      labels,
      annotations: { summary, description, ...extra },
    };
  }

  /** The SLA limit gauges of every configured pair (present before the first round). */
  slaLimits(): void {
    const m = this.metrics;
    if (!m) return;
    // the limits are rewritten; compliance and ok stay for pairs that keep an SLA (a reload must
    // not blank them, or a Prometheus rule's "for" on them would start over)
    for (const g of [m.slaRttLimit, m.slaLossLimit, m.slaWindow]) g.reset();
    for (const name of [...this.judged]) {
      if (this.byName.get(name)?.sla) continue;
      m.slaCompliance.remove({ target: name });
      m.slaOk.remove({ target: name });
      this.judged.delete(name);
    }
    for (const t of this.cfg.targets) {
      const sla = this.byName.get(t.name)?.sla;
      if (!sla) continue;
      if (sla.rtt) m.slaRttLimit.set({ target: t.name }, sla.rtt.value);
      if (sla.loss) m.slaLossLimit.set({ target: t.name }, sla.loss.value);
      m.slaWindow.set({ target: t.name }, this.rules.sla.window);
    }
    m.linkCapacity.reset();
    for (const [peer, b] of Object.entries(this.cfg.capacity.links))
      m.linkCapacity.set({ peer }, b);
  }

  ping(rows: PingRound[]): void {
    const { targetDown, packetLoss } = this.rules;
    for (const r of rows) {
      if (!r.sent) continue;
      const loss = 1 - r.received / r.sent;
      const host = this.byName.get(r.target)?.host ?? r.target;
      const labels = { target: r.target };
      if (targetDown.enabled) {
        const v: Verdict = r.received === 0 ? 'raise' : loss < 0.5 ? 'clear' : 'hold';
        this.engine.set(
          this.spec(
            'HostopsTargetDown',
            targetDown,
            labels,
            `${r.target} (${host}) does not answer`,
            v === 'raise'
              ? `all ${r.sent} pings to ${r.target} (${host}) were lost (100% loss; the rule fires after ${dur(targetDown.for)} of it)`
              : `${r.target} (${host}) answers again: ${r.received} of ${r.sent} pings (${pct(loss)} loss; clears below 50%)`,
          ),
          v,
          r.ts,
        );
      }
      if (packetLoss.enabled) {
        const v: Verdict =
          loss >= packetLoss.above && loss < 1
            ? 'raise'
            : loss < packetLoss.clear
              ? 'clear'
              : 'hold';
        this.engine.set(
          this.spec(
            'HostopsPacketLoss',
            packetLoss,
            labels,
            `packet loss to ${r.target} (${host}) is ${pct(loss)}`,
            `${r.sent - r.received} of ${r.sent} pings to ${r.target} lost (${pct(loss)}) against the limit of ${pct(packetLoss.above)} (clears below ${pct(packetLoss.clear)})`,
          ),
          v,
          r.ts,
        );
      }
      this.slaRound(r);
    }
  }

  /** A target the round could not send a single ping to (no route, bad name) is down as well. */
  unprobed(ts: number, list: { target: string; host: string; error?: string }[]): void {
    const rule = this.rules.targetDown;
    if (!rule.enabled) return;
    for (const r of list) {
      this.engine.set(
        this.spec(
          'HostopsTargetDown',
          rule,
          { target: r.target },
          `${r.target} (${r.host}) cannot be pinged`,
          `no ping to ${r.target} (${r.host}) could be sent: ${r.error ?? 'unknown error'} (the rule fires after ${dur(rule.for)} of it)`,
        ),
        'raise',
        ts,
      );
    }
  }

  private slaRound(r: PingRound): void {
    const sla = this.byName.get(r.target)?.sla;
    if (!sla) return;
    const list = this.rounds.get(r.target) ?? [];
    list.push({ ts: r.ts, sent: r.sent, received: r.received, median: median(r.rtts) });
    this.rounds.set(r.target, list);
    this.judgeWindow(r.target, sla, list, r.ts);
  }

  /** Rounds stored before a restart, so the SLA window and its series are whole from the start. */
  seedRounds(target: string, rounds: Round[]): void {
    const sla = this.byName.get(target)?.sla;
    if (!sla || !rounds.length || this.rounds.has(target)) return; // live rounds came first: keep them
    this.rounds.set(target, [...rounds]);
    this.judgeWindow(target, sla, this.rounds.get(target)!, rounds[rounds.length - 1].ts);
  }

  private judgeWindow(target: string, sla: PairSla, list: Round[], ts: number): void {
    const window = this.rules.sla.window;
    while (list.length && list[0].ts <= ts - window) list.shift();
    const j = judge(sla, list);
    const m = this.metrics;
    if (m) {
      m.slaCompliance.set({ target: target }, j.compliance);
      m.slaOk.set({ target: target }, j.ok ? 1 : 0);
      this.judged.add(target);
    }
    const rule = this.rules.sla;
    if (!rule.enabled) return;
    const v: Verdict = !j.ok ? 'raise' : j.clear ? 'clear' : 'hold';
    const parts: string[] = [];
    if (sla.rtt)
      parts.push(
        `median RTT ${j.median == null ? 'none (no replies)' : ms(j.median)} against ${formatBound(sla.rtt, 'ms')}`,
      );
    if (sla.loss) parts.push(`loss ${pct(j.loss)} against ${formatBound(sla.loss, '%')}`);
    this.engine.set(
      this.spec(
        'HostopsSLABreach',
        rule,
        { target: target },
        `${this.cfg.site} to ${target} is ${j.ok ? 'within' : 'outside'} its SLA`,
        `over the last ${dur(window)} (${list.length} rounds): ${parts.join(', ')}; ${j.good} of ${list.length} rounds met the SLA (${pct(j.compliance)})`,
        { compliance: j.compliance.toFixed(4) },
      ),
      v,
      ts,
    );
  }

  path(rec: PathRecord): void {
    if (rec.error || !rec.hops.length) return;
    const hosts = rec.hops.map((h) => h.hosts[0] ?? '???');
    const sig = hosts.filter((h) => h !== '???').join(' ');
    const text = hosts.join(' → ');
    const prev = this.paths.get(rec.target);
    this.paths.set(rec.target, { sig, text, hops: hosts.length });
    const rule = this.rules.pathChanged;
    if (!rule.enabled || !prev || prev.sig === sig) return;
    this.engine.set(
      this.spec(
        'HostopsPathChanged',
        rule,
        { target: rec.target },
        `the path to ${rec.target} changed`,
        `was ${prev.text} (${prev.hops} hops), now ${text} (${hosts.length} hops); the alert resolves after ${dur(rule.hold)} unless it changes again`,
      ),
      'raise',
      rec.ts,
      rec.ts + rule.hold,
    );
  }

  /** A path known from before a restart, so the first new one can be compared. */
  seedPath(rec: PathRecord): void {
    if (rec.error || !rec.hops.length || this.paths.has(rec.target)) return;
    const hosts = rec.hops.map((h) => h.hosts[0] ?? '???');
    this.paths.set(rec.target, {
      sig: hosts.filter((h) => h !== '???').join(' '),
      text: hosts.join(' → '),
      hops: hosts.length,
    });
  }

  throughput(recs: ThroughputRecord[]): void {
    const rule = this.rules.throughputLow;
    const ok = recs.filter((r) => r.bitsPerSecond != null);
    if (!rule.enabled || !ok.length) return;
    const peer = ok[0].peer;
    const tcp = ok.filter((r) => r.protocol === 'tcp');
    const measured = Math.min(...(tcp.length ? tcp : ok).map((r) => r.bitsPerSecond as number));
    const link = this.cfg.capacity.links[peer];
    const limits: { value: number; words: string }[] = [];
    if (link)
      limits.push({
        value: rule.share * link,
        words: `${pct(rule.share)} of the ${bps(link)} link`,
      });
    if (rule.below > 0) limits.push({ value: rule.below, words: bps(rule.below) });
    if (!limits.length) return;
    const lim = limits.reduce((a, b) => (b.value > a.value ? b : a));
    const v: Verdict =
      measured < lim.value ? 'raise' : measured >= lim.value * 1.1 ? 'clear' : 'hold';
    this.engine.set(
      this.spec(
        'HostopsThroughputLow',
        rule,
        { target: peer },
        `throughput to ${peer} is ${bps(measured)}`,
        `iperf3 to ${peer} measured ${bps(measured)} against the limit of ${bps(lim.value)} (${lim.words}; clears at 110% of it)`,
      ),
      v,
      ok[0].ts,
    );
  }

  mailqSample(s: MailqSample): void {
    const q = this.rules.mailQueue;
    this.mailq.push({ ts: s.ts, messages: s.messages });
    while (this.mailq.length > 1 && this.mailq[0].ts < s.ts - q.over) this.mailq.shift();
    const first = this.mailq[0];
    const span = s.ts - first.ts;
    // a rate needs half the window at least, or one sample after a restart would read as a jump
    const rate = span >= q.over / 2 ? ((s.messages - first.messages) * 60) / span : null;
    if (q.enabled) {
      const high = s.messages > q.above;
      const fast = rate != null && rate > q.growth;
      const v: Verdict =
        high || fast
          ? 'raise'
          : s.messages < q.above * 0.9 && (rate == null || rate < q.growth / 2)
            ? 'clear'
            : 'hold';
      const why = [
        `${s.messages} messages queued against the limit of ${q.above}`,
        rate == null
          ? 'growth not known yet'
          : `growing ${rate.toFixed(1)}/min over the last ${dur(span)} against ${q.growth}/min`,
      ];
      this.engine.set(
        this.spec(
          'HostopsMailQueueGrowth',
          q,
          {},
          high
            ? `the mail queue holds ${s.messages} messages`
            : `the mail queue grows ${rate?.toFixed(1) ?? '?'} messages/min`,
          why.join('; '),
        ),
        v,
        s.ts,
      );
    }
    const f = this.rules.mailFrozen;
    if (f.enabled) {
      const v: Verdict =
        s.frozen > f.above ? 'raise' : s.frozen <= f.above * 0.8 ? 'clear' : 'hold';
      this.engine.set(
        this.spec(
          'HostopsMailFrozen',
          f,
          {},
          `${s.frozen} frozen messages in the mail queue`,
          `${s.frozen} frozen messages against the limit of ${f.above} (clears at ${Math.floor(f.above * 0.8)}); list them with hostops mailq list --frozen`,
        ),
        v,
        s.ts,
      );
    }
  }

  check(c: CheckRecord): void {
    if (c.kind === 'mailq-sources') this.spam(c);
    else if (c.kind === 'amp') this.amp(c);
    else if (c.kind === 'capacity' || c.kind === 'contention') this.capacity(c);
  }

  private spam(c: CheckRecord): void {
    const rule = this.rules.spamSource;
    const data = c.data as {
      top?: { source: string; kind: string; messages: number; queued?: number; select?: string }[];
    } | null;
    const window = Math.max(this.cfg.mailq.sourcesInterval, 3600);
    if (this.metrics) {
      this.metrics.sourceRate.reset();
      for (const s of data?.top ?? [])
        this.metrics.sourceRate.set(
          {
            source: s.source,
            source_kind: s.kind,
            select: s.select ?? selectionFor(s.kind, s.source) ?? '',
          },
          (s.messages * 3600) / window,
        );
    }
    if (!rule.enabled) return;
    const seen = new Set<string>();
    for (const s of data?.top ?? []) {
      const perHour = (s.messages * 3600) / window;
      const labels = { source: s.source, source_kind: s.kind };
      seen.add(`${s.kind}\u0000${s.source}`);
      const v: Verdict =
        perHour > rule.above ? 'raise' : perHour <= rule.above * 0.8 ? 'clear' : 'hold';
      const select = s.select ?? selectionFor(s.kind, s.source);
      this.engine.set(
        this.spec(
          'HostopsSpamSource',
          rule,
          labels,
          `${s.kind} ${s.source} sent ${Math.round(perHour)} messages/hour`,
          `${s.kind} ${s.source} submitted ${s.messages} messages in the last ${dur(window)} (${Math.round(perHour)}/hour) against the limit of ${rule.above}/hour; ${s.queued ?? 0} still queued`,
          select ? { select } : {},
        ),
        v,
        c.ts,
      );
    }
    // a source gone from the report sends nothing any more
    this.engine.retain(
      (l) => l.alertname !== 'HostopsSpamSource' || seen.has(`${l.source_kind}\u0000${l.source}`),
      c.ts,
    );
  }

  private amp(c: CheckRecord): void {
    const r = c.data as {
      verdict?: string;
      factor?: number;
      modes?: { mode: string; factor: number }[];
    } | null;
    if (!r) return;
    const e = this.rules.ntpExposed;
    const modes = (r.modes ?? [])
      .filter((m) => m.factor > 1)
      .map((m) => `${m.mode} ×${m.factor.toFixed(1)}`)
      .join(', ');
    if (e.enabled) {
      this.engine.set(
        this.spec(
          'HostopsNTPExposed',
          e,
          { target: c.target },
          `NTP on ${c.target} answers amplifying queries`,
          r.verdict === 'exposed'
            ? `NTP mode 6/7 queries to ${c.target} return more bytes than sent (${modes || 'see hostops amp'}); the limit is no amplifying answer`
            : `NTP on ${c.target} no longer amplifies`,
        ),
        r.verdict === 'exposed' ? 'raise' : 'clear',
        c.ts,
      );
    }
    const a = this.rules.amplifier;
    if (a.enabled && r.factor != null) {
      const v: Verdict =
        r.factor >= a.factor ? 'raise' : r.factor < a.factor * 0.8 ? 'clear' : 'hold';
      this.engine.set(
        this.spec(
          'HostopsAmplifierFound',
          a,
          { target: c.target },
          `${c.target} amplifies UDP ×${r.factor.toFixed(1)}`,
          `${c.target} returns ${r.factor.toFixed(1)} bytes per byte sent against the limit of ${a.factor} (clears below ${(a.factor * 0.8).toFixed(1)})`,
        ),
        v,
        c.ts,
      );
    }
  }

  private capacity(c: CheckRecord): void {
    if (c.kind === 'capacity' && c.value != null)
      this.metrics?.headroom.set({ peer: c.target }, c.value);
    const rule = this.rules.capacityAtRisk;
    if (!rule.enabled || c.value == null) return;
    const words =
      c.kind === 'capacity'
        ? `achievable throughput to ${c.target} (p10 of 30 days of tests) is ${pct(c.value)} of the link against the floor of 50%`
        : `topology ${c.target}: the worst link is over capacity ${pct(c.value)} of the time against the limit of 1%`;
    this.engine.set(
      this.spec(
        'HostopsCapacityAtRisk',
        rule,
        { target: c.target, check: c.kind },
        c.ok ? `capacity of ${c.target} is sufficient` : `capacity of ${c.target} is at risk`,
        words,
      ),
      c.ok ? 'clear' : 'raise',
      c.ts,
    );
  }

  job(e: { job: string; ok: boolean; failures: number; error?: string; start: number }): void {
    const rule = this.rules.jobFailing;
    if (!rule.enabled) return;
    const v: Verdict = e.ok ? 'clear' : e.failures >= rule.failures ? 'raise' : 'hold';
    this.engine.set(
      this.spec(
        'HostopsJobFailing',
        rule,
        { job: e.job },
        `job ${e.job} failed ${e.failures} times in a row`,
        e.ok
          ? `job ${e.job} succeeded again`
          : `job ${e.job} failed ${e.failures} times in a row against the limit of ${rule.failures}: ${e.error ?? 'unknown error'}`,
      ),
      v,
      e.start,
    );
  }
}

/** The `hostops mailq rm` selection for a source the report could not join to the queue. */
export function selectionFor(kind: string, source: string): string | null {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (kind === 'auth user') return `hostops mailq rm --auth ${q('^' + re(source) + '$')}`;
  if (kind === 'local user') return `hostops mailq rm --local-user ${q(source)}`;
  const user = /^\/home\d*\/([^/]+)/.exec(source)?.[1];
  return kind === 'script' && user ? `hostops mailq rm --local-user ${q(user)}` : null;
}

/** A pair's rounds over the window against its SLA: aggregate state, clear state, compliance. */
export function judge(
  sla: PairSla,
  rounds: Round[],
): {
  ok: boolean;
  clear: boolean;
  median: number | null;
  loss: number;
  good: number;
  compliance: number;
} {
  const sent = rounds.reduce((a, r) => a + r.sent, 0);
  const received = rounds.reduce((a, r) => a + r.received, 0);
  const loss = sent ? 1 - received / sent : 1;
  const med = median(rounds.map((r) => r.median).filter((x): x is number => x != null));
  const within = (b: { rtt?: Bound; loss?: Bound }, m: number | null, l: number) =>
    (!b.rtt || (m != null && meets(b.rtt, m))) && (!b.loss || meets(b.loss, l));
  const good = rounds.filter((r) =>
    within(sla, r.median, r.sent ? 1 - r.received / r.sent : 1),
  ).length;
  return {
    ok: within(sla, med, loss),
    clear: within(
      {
        rtt: sla.rtt && inside(sla.rtt),
        loss: sla.loss && (sla.loss.value > 0 ? inside(sla.loss) : sla.loss),
      },
      med,
      loss,
    ),
    median: med,
    loss,
    good,
    compliance: rounds.length ? good / rounds.length : 1,
  };
}
