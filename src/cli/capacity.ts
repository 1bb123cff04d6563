/**
 * `hostops capacity contention|memory|advise`: reads the YAML and series files, calls the capacity
 * module, and formats its reports (text tables or --json; --chart writes SVG or PNG).
 */
import type { Command } from 'commander';
import { printJson } from '../lib/output.js';
import { progress } from '../lib/progress.js';
import { HostopsError } from '../lib/errors.js';
import {
  contention,
  memoryRisk,
  advise,
  buildTopology,
  buildHost,
  buildPrices,
  parseDuration,
  fmtRate,
  fmtBytes,
  fmtVolume,
  fmtDuration,
  fmtRatio,
  fmtPct,
  timeChartSvg,
  histogramSvg,
  stackSvg,
  writeChart,
  type ContentionResult,
  type MemoryResult,
  type Advice,
  type InputProblem,
  type Gap,
} from '../capacity/index.js';
import { loadFiles, dirSource, FORMATS, type InputFormat } from '../capacity/input/index.js';
import { readYaml } from '../capacity/validate.js';
import { textTable } from '../lib/text-table.js';

interface Common {
  json?: boolean;
  chart?: string;
  format?: string;
  step?: string;
  unit?: string;
  counter?: string;
  maxRate?: string;
}

function table(head: string[], rows: (string | number)[][], right = new Set<number>()): string {
  const columns = head.map((_, c) => ({ align: right.has(c) ? 'right' : 'left' }) as const);
  return textTable([head, ...rows], { columns }).join('\n');
}

const TRAFFIC_UNITS: Record<string, number> = {
  'bit/s': 1,
  bps: 1,
  'B/s': 8,
  'kbit/s': 1e3,
  'Mbit/s': 1e6,
  'Gbit/s': 1e9,
  'kB/s': 8e3,
  'KiB/s': 8192,
  'MB/s': 8e6,
};
const MEM_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  kB: 1024,
  MiB: 2 ** 20,
  MB: 1e6,
  GiB: 2 ** 30,
  GB: 1e9,
};

function unitFactor(u: string | undefined, table: Record<string, number>, dflt: number): number {
  if (!u) return dflt;
  const f = table[u];
  if (f === undefined)
    throw new HostopsError('CAPACITY_BAD_UNIT', `Unknown --unit ${JSON.stringify(u)}`, {
      hint: `one of ${Object.keys(table).join(', ')}`,
    });
  return f;
}

function load(files: string[] | undefined, o: Common) {
  if (!files?.length) return undefined;
  if (o.format && !FORMATS.includes(o.format as InputFormat))
    throw new HostopsError('CAPACITY_BAD_FORMAT', `Unknown --format ${o.format}`, {
      hint: `one of ${FORMATS.join(', ')}`,
    });
  const counter = o.counter === undefined ? undefined : Number(o.counter);
  if (counter !== undefined && counter !== 32 && counter !== 64)
    throw new HostopsError('CAPACITY_BAD_OPTION', '--counter takes 32 or 64');
  return loadFiles(files, {
    format: o.format as InputFormat | undefined,
    counter: counter as 32 | 64 | undefined,
    maxRate: maxRateOpt(o),
  });
}

function problemsText(problems: InputProblem[], gaps: Gap[]): string {
  const out: string[] = [];
  if (problems.length) {
    out.push(`Input problems (${problems.length}):`);
    for (const p of problems.slice(0, 20)) out.push(`  ${p.where}: ${p.message}`);
    if (problems.length > 20) out.push(`  … ${problems.length - 20} more (see --json)`);
  }
  const inner = gaps.filter((g) => g.to - g.from > 0);
  if (inner.length) {
    out.push(`Gaps in the data (${inner.length}; never counted as zero):`);
    for (const g of inner.slice(0, 10))
      out.push(
        `  ${g.series} (${g.source}): ${new Date(g.from * 1000).toISOString()} .. ${new Date(g.to * 1000).toISOString()} (${fmtDuration(g.to - g.from)})`,
      );
    if (inner.length > 10) out.push(`  … ${inner.length - 10} more (see --json)`);
  }
  return out.join('\n');
}

const iso = (t: number | null) =>
  t === null ? '-' : new Date(t * 1000).toISOString().replace(':00.000Z', 'Z');
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const prob = (p: number) =>
  !Number.isFinite(p) ? '-' : p === 0 ? '0' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4);

/** Tiers in topology order, or the `max` worst (most time over capacity) when there are more. */
function worstTiers(r: ContentionResult, max: number) {
  if (r.tiers.length <= max) return r.tiers;
  return r.tiers
    .slice()
    .sort(
      (a, b) =>
        b.over.share - a.over.share || b.busy.share - a.busy.share || b.utilisation - a.utilisation,
    )
    .slice(0, max);
}

export function formatContention(r: ContentionResult, top = 20): string {
  const out: string[] = [];
  out.push(
    `Contention: ${r.topology} (${r.mode}${r.step ? `, ${r.days.toFixed(1)} days at a ${r.step} s step from ${iso(r.start)}` : ''})`,
  );
  out.push('', 'Nominal oversubscription (sum of link rates below ÷ link rate)');
  out.push(
    table(
      ['TIER', 'KIND', 'CAPACITY', 'CUSTOMERS', 'RATIO', 'END-TO-END', 'FULL PORTS', 'FAIR SHARE'],
      r.nominal.map((n) => [
        n.id,
        n.kind,
        fmtRate(n.capacity),
        n.customers,
        fmtRatio(n.ratio),
        fmtRatio(n.endToEnd),
        n.fullyPopulated ? fmtRatio(n.fullyPopulated) : '-',
        fmtRate(n.fairShare),
      ]),
      new Set([3, 4, 5, 6]),
    ),
  );
  if (r.tiers.length) {
    out.push(
      '',
      `Tiers, measured (over = above capacity; busy = above ${Math.round((r.tiers[0]?.busy.threshold ?? 0.9) * 100)}%)${r.tiers.length > top * 2 ? `: the ${top * 2} worst of ${r.tiers.length} (--top, --json for all)` : ''}`,
    );
    out.push(
      table(
        [
          'TIER',
          'MEAN',
          'P95',
          'PEAK',
          'UTIL',
          'OVER',
          'MIN/DAY',
          'BUSY MIN/DAY',
          'EPISODES',
          'LONGEST',
          'UNMET',
          'BUSIEST (UTC)',
          'MUX GAIN',
          'VERDICT',
        ],
        worstTiers(r, top * 2).map((t) => [
          t.id,
          fmtRate(t.mean),
          fmtRate(t.p95),
          fmtRate(t.max),
          fmtPct(t.utilisation),
          fmtPct(t.over.share, 2),
          num(t.over.minutesPerDay, 1),
          num(t.busy.minutesPerDay, 1),
          t.over.episodes,
          t.over.longest[0]
            ? `${fmtDuration(t.over.longest[0].duration)} @${iso(t.over.longest[0].start)}`
            : '-',
          fmtVolume(t.unmetBytes),
          t.busiestHours.map((h) => `${String(h.hour).padStart(2, '0')}h`).join(','),
          num(t.multiplexingGain),
          t.verdict.toUpperCase(),
        ]),
      ),
    );
    out.push(
      '',
      'Tiers, Gaussian cross-check (P(A > C) with the measured σ, and assuming independent customers)',
    );
    out.push(
      table(
        [
          'TIER',
          'P(OVER) MEASURED',
          'GAUSS',
          'GAUSS INDEP.',
          `CAPACITY FOR ε=${r.tiers[0].gaussian.epsilon}`,
        ],
        worstTiers(r, top * 2).map((t) => [
          t.id,
          prob(t.over.share),
          prob(t.gaussian.pOver),
          prob(t.gaussian.pOverIndependent),
          fmtRate(t.gaussian.capacityForEpsilon),
        ]),
      ),
    );
  }
  if (r.model.length) {
    out.push('', 'Model (on-off customers, independent)');
    out.push(
      table(
        [
          'TIER',
          'CUSTOMERS',
          'METHOD',
          'P(OVER)',
          'E[EXCESS]',
          'GAUSSIAN',
          'CHERNOFF BOUND',
          'BAHADUR-RAO',
        ],
        r.model.map((m) => [
          m.id,
          m.customers,
          m.method,
          prob(m.pOver),
          fmtRate(m.expectedExcess),
          prob(m.gaussian),
          prob(m.chernoff),
          prob(m.bahadurRao),
        ]),
      ),
    );
    const notes = new Set(r.model.flatMap((m) => m.notes.map((n) => `${n}`)));
    for (const n of notes) out.push(`  note: ${n}`);
  }
  const cs = r.customers
    .filter((c) => c.hasSeries)
    .sort((a, b) => (b.shareOfPeak || 0) - (a.shareOfPeak || 0));
  if (cs.length) {
    out.push(
      '',
      `Customers (${cs.length} with series; top ${Math.min(top, cs.length)} by share of the top tier's peak; p95 at a ${r.step} s window)`,
    );
    out.push(
      table(
        [
          'CUSTOMER',
          'PORT',
          'GUARANTEED',
          'AVAIL p5/p50',
          'BUSY-HOUR p5',
          'MEAN',
          'P95',
          'EFF. BW',
          'PEAK/MEAN',
          'CV',
          'DUTY',
          'SHAPE',
          'PEAK SHARE',
          'VAR SHARE',
          'TAKEN WHEN FULL',
        ],
        cs
          .slice(0, top)
          .map((c) => [
            c.id,
            fmtRate(c.port),
            `${fmtRate(c.guaranteed)}${c.guaranteedFrom === 'fair-share' ? '*' : ''}`,
            `${fmtRate(c.available.p5)} / ${fmtRate(c.available.p50)}`,
            fmtRate(c.available.busyHourP5),
            fmtRate(c.mean),
            fmtRate(c.p95),
            fmtRate(c.effectiveBandwidth),
            num(c.peakToMean, 1),
            num(c.cv),
            fmtPct(c.dutyCycle),
            c.shape,
            fmtPct(c.shareOfPeak),
            fmtPct(c.varianceShare),
            c.whenCongested && c.whenCongested.steps
              ? `${fmtVolume(c.whenCongested.bytesAboveGuarantee)} (${fmtPct(c.whenCongested.aboveGuarantee, 0)})`
              : '-',
          ]),
      ),
    );
    out.push(
      "  * guaranteed = equal share C/N at the bottleneck (no shaper rate given); EFF. BW = effective bandwidth at the top tier's operating point (1 h windows); TAKEN WHEN FULL = volume above its guarantee while a link on its path was over capacity (share of those steps)",
    );
    const spiky = cs.filter((c) => c.shape === 'spiky');
    if (spiky.length)
      out.push(
        `  spiky: ${spiky.length} (${spiky
          .slice(0, 8)
          .map((c) => c.id)
          .join(
            ', ',
          )}${spiky.length > 8 ? ', …' : ''}); even: ${cs.filter((c) => c.shape === 'even').length}`,
      );
  } else if (r.customers.length && r.mode !== 'measured') {
    out.push(
      '',
      'Customers (guaranteed = plan rate, else the equal share at the bottleneck; when active = on-off model, worst tier)',
    );
    out.push(
      table(
        [
          'CUSTOMER',
          'PORT',
          'GUARANTEED',
          'BOTTLENECK',
          'P(FULL PEAK)',
          'E[RATE] WHEN ACTIVE',
          'AT',
        ],
        r.customers
          .slice(0, top)
          .map((c) => [
            c.id,
            fmtRate(c.port),
            fmtRate(c.guaranteed),
            c.bottleneck ?? '-',
            c.modelAvailable ? prob(c.modelAvailable.pFullPeak) : '-',
            c.modelAvailable ? fmtRate(c.modelAvailable.expectedWhenActive) : '-',
            c.modelAvailable?.tier ?? '-',
          ]),
      ),
    );
    if (r.customers.length > top)
      out.push(`  … ${r.customers.length - top} more (--top or --json)`);
  }
  if (r.unmatched.length && r.mode === 'measured')
    out.push(
      '',
      `No series for: ${r.unmatched.slice(0, 10).join(', ')}${r.unmatched.length > 10 ? ` and ${r.unmatched.length - 10} more` : ''}`,
    );
  const pt = problemsText(r.problems, r.gaps);
  if (pt) out.push('', pt);
  out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n') + '\n';
}

export function formatMemory(r: MemoryResult): string {
  const g = (b: number) => fmtBytes(b);
  const out: string[] = [];
  out.push(
    `Memory: ${r.host}: RAM ${g(r.ram)}, usable ${g(r.usable)}; Σ guaranteed ${g(r.guaranteedSum)}, Σ burst ${g(r.burstSum)} (overcommit ${num(r.overcommit)}×); sharing ${r.sharing}${r.step ? `; ${r.days.toFixed(1)} days at ${r.step} s` : ''}`,
  );
  if (r.replay)
    out.push(
      `Replay (observed alignment): host short of RAM ${fmtPct(r.replay.pHostShort, 2)} of the time, guarantee breach ${fmtPct(r.replay.pGuaranteeBreach, 2)}, unmet ${num(r.replay.unmetGiBhPerDay, 3)} GiB·h/day, peak demand ${g(r.replay.peakDemand)}`,
    );
  if (r.model) {
    out.push(
      `Model (${r.model.method}): P(host short) ${prob(r.model.pHostShort)}, unmet ${num(r.model.unmetGiBhPerDay, 3)} GiB·h/day; Gaussian ${prob(r.model.gaussian)}, Chernoff bound ${prob(r.model.chernoff)}`,
    );
    for (const n of r.model.notes) out.push(`  note: ${n}`);
  }
  out.push('');
  out.push(
    table(
      [
        'VM',
        'GUARANTEED',
        'BURST',
        'MEAN',
        'P95',
        'MAX',
        'BURST TIME',
        'P(UNMET) REPLAY',
        'GiB·h/DAY',
        'PLAN CAP HITS',
        'P(UNMET) MODEL',
        'GiB·h/DAY (MODEL)',
        'RISK',
      ],
      r.vms.map((v) => [
        v.id,
        g(v.guaranteed),
        g(v.burst),
        v.replay ? g(v.replay.mean) : '-',
        v.replay ? g(v.replay.p95) : '-',
        v.replay ? g(v.replay.max) : '-',
        v.replay
          ? fmtPct(v.replay.burstSteps / Math.max(1, v.replay.steps))
          : v.model
            ? fmtPct(v.model.pBurst)
            : '-',
        v.replay ? prob(v.replay.pBurstUnmet) : '-',
        v.replay ? num(v.replay.unmetGiBhPerDay, 3) : '-',
        v.replay ? String(v.replay.planLimitSteps) : '-',
        v.model ? prob(v.model.pBurstUnmet) : '-',
        v.model ? num(v.model.unmetGiBhPerDay, 3) : '-',
        v.atRisk ? 'AT RISK' : 'ok',
      ]),
    ),
  );
  out.push('', r.atRisk.length ? `VMs at risk: ${r.atRisk.join(', ')}` : 'No VM at risk.');
  const first = r.vms[0];
  if (first) {
    out.push(
      '',
      `Settings that implement the plan (per VM; shown for ${first.id}, --json lists all):`,
    );
    out.push(
      '  cgroup v2: ' +
        Object.entries(first.settings.cgroupV2)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
    );
    out.push(
      '  libvirt:\n' +
        first.settings.libvirt
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
    );
    out.push(
      '  Proxmox VM: ' +
        Object.entries(first.settings.proxmox)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', '),
    );
    out.push('  Proxmox CT: ' + first.settings.proxmoxCT);
    out.push(
      '  OpenVZ:\n' +
        first.settings.openvz
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
    );
    for (const n of first.settings.notes) out.push(`  note: ${n}`);
  }
  const pt = problemsText(r.problems, r.gaps);
  if (pt) out.push('', pt);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

export function formatAdvice(list: Advice[]): string {
  const out: string[] = [];
  for (const a of list) {
    out.push(
      `Advice: ${a.series} (${a.days.toFixed(1)} days at ${a.step} s, ${a.samples} samples, ${a.gaps} gaps)`,
    );
    out.push(
      `  mean ${num(a.stats.mean)}  p95 ${num(a.stats.p95)}  p99 ${num(a.stats.p99)}  max ${num(a.stats.max)} ${a.unit}; CV ${num(a.stats.cv)}, peak/mean ${num(a.stats.peakToMean)}, p99/mean ${num(a.stats.p99ToMean)}`,
    );
    out.push(
      `  seasonality: daily autocorrelation ${num(a.seasonality.dailyAutocorr)}, weekly ${num(a.seasonality.weeklyAutocorr)}; daily strength ${num(a.seasonality.dailyStrength)}, weekly ${num(a.seasonality.weeklyStrength)} -> ${a.seasonality.pattern}`,
    );
    out.push(
      `  expected peak: p99.5 + ${Math.round(a.expectedPeak.headroom * 100)}% = ${num(a.expectedPeak.p995Headroom)}, p90 of daily peaks + 15% = ${num(a.expectedPeak.dailyPeakP90)}, Gumbel 30-day level ${num(a.expectedPeak.gumbel30d)}; size for ${num(a.expectedPeak.sizing)} ${a.unit}`,
    );
    if (a.options.length) {
      out.push(
        table(
          ['  OPTION', 'KIND', 'UNITS', 'MONTHLY', 'UTILISATION', 'NOTE'],
          a.options
            .slice()
            .sort((x, y) => x.monthly - y.monthly)
            .map((o) => [
              `  ${o.name}`,
              o.kind,
              num(o.units),
              `${a.recommendation.currency ?? ''} ${num(o.monthly)}`.trim(),
              fmtPct(o.utilisation),
              o.note ?? '',
            ]),
        ),
      );
    }
    const rec = a.recommendation;
    out.push(
      `  RECOMMENDATION: ${rec.kind.toUpperCase()}${rec.option ? ` (${rec.option}, ${rec.currency} ${num(rec.monthly ?? NaN)}/month)` : ''}`,
    );
    for (const x of rec.reasons) out.push(`    - ${x}`);
    for (const n of a.notes) out.push(`  note: ${n}`);
    out.push('');
  }
  return out.join('\n');
}

function stepOpt(o: Common): number | undefined {
  if (o.step === undefined) return undefined;
  const step = parseDuration(o.step, '--step');
  if (!(step > 0)) throw HostopsError.of('BAD_OPTION', '--step', o.step, 'above 0').at('--step');
  return step;
}

/** A numeric option, checked: NaN or out-of-range values would otherwise flow silently into the figures. */
function numOpt(
  v: string | undefined,
  name: string,
  min: number,
  max = Infinity,
  integer = false,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (
    v.trim() === '' ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (integer && !Number.isInteger(n))
  ) {
    const range =
      min === Number.MIN_VALUE ? 'above 0' : max === Infinity ? `>= ${min}` : `${min}..${max}`;
    throw HostopsError.of(
      'BAD_OPTION',
      name,
      v,
      `${integer ? 'an integer' : 'a number'} ${range}`,
    ).at(name);
  }
  return n;
}
const maxRateOpt = (o: Common) => numOpt(o.maxRate, '--max-rate', Number.MIN_VALUE);

async function contentionChart(path: string, r: ContentionResult, only?: string[]): Promise<void> {
  const tiers = r.tiers.filter((t) => r.demand?.[t.id] && (!only?.length || only.includes(t.id)));
  if (!tiers.length || r.step === null || r.start === null)
    throw new HostopsError(
      'CAPACITY_NO_CHART',
      'No measured series to chart: give --traffic files',
    );
  const parts: string[] = [];
  for (const t of tiers.slice(0, 3)) {
    const d = r.demand![t.id];
    const caps = [{ value: t.capacity, label: `capacity ${fmtRate(t.capacity)}` }];
    parts.push(
      timeChartSvg({
        title: `${t.id}: demand vs capacity`,
        start: r.start,
        step: r.step,
        series: [{ name: `${t.id} demand`, values: d }],
        capacity: caps,
        format: fmtRate,
      }),
    );
    parts.push(
      histogramSvg({
        title: `${t.id}: demand distribution`,
        values: d,
        capacity: caps,
        format: fmtRate,
      }),
    );
  }
  await writeChart(path, stackSvg(parts));
}

export function register(program: Command): void {
  const cap = program
    .command('capacity')
    .description(
      'Bandwidth contention, guaranteed vs burstable RAM, and cloud vs VPS vs dedicated from usage data',
    );
  const common = (c: Command) =>
    c
      .option('--json', 'print the report as JSON')
      .option('--chart <file>', 'write a chart: .svg or .png')
      .option('--format <fmt>', `input format (default: detected): ${FORMATS.join(', ')}`)
      .option(
        '--step <duration>',
        'common grid step, e.g. 300 or 5m (default: the coarsest input step)',
      )
      .option(
        '--counter <bits>',
        'inputs are raw counters of 32 or 64 bits: convert to rates (wraps and resets handled)',
      )
      .option(
        '--max-rate <n>',
        'highest plausible counter rate per second (e.g. line rate in bytes/s), for wrap checks',
      );

  common(
    cap
      .command('contention <topology>')
      .description(
        'oversubscription ratios per tier and end to end; with --traffic, measured congestion per tier and per customer',
      )
      .option(
        '--traffic <files...>',
        'traffic series (CSV, Prometheus JSON, rrdtool fetch/xport, MRTG .log, sadf, SNMP counters); takes every argument up to the next option, so give TOPOLOGY first',
      )
      .option(
        '--traffic-dir <dir>',
        'one file per customer, named after its id or series key (<id>.csv ...): streamed, bounded memory',
      )
      .option(
        '--unit <unit>',
        'unit of unitless inputs (CSV, Prometheus, rrdtool): bit/s (default), B/s, Mbit/s, ...',
      )
      .option('--top <n>', 'customers listed in the text report', '20')
      .option('--chart-tier <ids...>', 'tiers to chart (default: the top tiers)'),
  ).action(
    async (
      file: string,
      o: Common & { traffic?: string[]; trafficDir?: string; top: string; chartTier?: string[] },
    ) => {
      const topo = buildTopology(readYaml(file), file);
      if (o.traffic && o.trafficDir)
        throw new HostopsError('CAPACITY_BAD_OPTION', 'Give --traffic or --traffic-dir, not both');
      const unknown = (o.chartTier ?? []).filter((id) => !topo.nodes.some((n) => n.id === id));
      if (unknown.length)
        throw new HostopsError(
          'CAPACITY_BAD_OPTION',
          `--chart-tier names unknown tier ${JSON.stringify(unknown[0])}`,
          { where: file },
        );
      const loaded = load(o.traffic, o);
      const counter = o.counter === undefined ? undefined : (Number(o.counter) as 32 | 64);
      if (counter !== undefined && counter !== 32 && counter !== 64)
        throw new HostopsError('CAPACITY_BAD_OPTION', '--counter takes 32 or 64');
      const dir = o.trafficDir
        ? dirSource(
            o.trafficDir,
            topo.nodes.filter((n) => !topo.nodes.some((c) => c.parent === n.id)),
            {
              format: o.format as InputFormat | undefined,
              counter,
              maxRate: maxRateOpt(o),
              step: stepOpt(o),
              unitFactor: unitFactor(o.unit, TRAFFIC_UNITS, 1),
            },
          )
        : undefined;
      const bar = progress('contention', 1, !o.json && !!(loaded || dir));
      const r = contention(topo, dir ?? loaded?.series, {
        step: stepOpt(o),
        unitFactor: unitFactor(o.unit, TRAFFIC_UNITS, 1),
        keep: o.chartTier,
        onProgress: (done, total) => {
          bar.total(total);
          bar.tick(200);
          void done;
        },
      });
      bar.stop();
      // array literals, not unshift(...x): a spread argument of 200k problems overflows the stack
      if (loaded) r.problems = [...loaded.problems, ...r.problems];
      if (dir) r.problems = [...dir.problems, ...r.problems];
      if (o.chart) await contentionChart(o.chart, r, o.chartTier);
      const { demand: _d, ...rest } = r;
      if (o.json) printJson({ ...rest, inputs: loaded?.files ?? [] });
      else process.stdout.write(formatContention(r, numOpt(o.top, '--top', 1, 1e6, true) ?? 20));
      if (
        r.tiers.some((t) => t.verdict === 'congested') ||
        r.model.some((m) => m.pOver > topo.epsilon)
      )
        process.exitCode = 1;
    },
  );

  common(
    cap
      .command('memory <host>')
      .description(
        'per-VM guaranteed vs burstable RAM: probability a burst is not met, unmet GiB·h, VMs at risk, cgroup v2 / libvirt settings',
      )
      .option(
        '--usage <files...>',
        'per-VM memory usage series; takes every argument up to the next option, so give HOST first',
      )
      .option('--unit <unit>', 'unit of unitless inputs: B (default), KiB, MiB, GiB'),
  ).action(async (file: string, o: Common & { usage?: string[] }) => {
    const plan = buildHost(readYaml(file), file);
    const loaded = load(o.usage, o);
    const r = memoryRisk(plan, loaded?.series, {
      step: stepOpt(o),
      unitFactor: unitFactor(o.unit, MEM_UNITS, 1),
    });
    if (loaded) r.problems = [...loaded.problems, ...r.problems];
    if (o.chart) {
      if (!r.hostDemand || r.step === null)
        throw new HostopsError('CAPACITY_NO_CHART', 'No usage series to chart: give --usage files');
      const caps = [
        { value: r.usable, label: `usable ${fmtBytes(r.usable)}` },
        { value: r.guaranteedSum, label: `Σ guaranteed ${fmtBytes(r.guaranteedSum)}` },
      ];
      await writeChart(
        o.chart,
        stackSvg([
          timeChartSvg({
            title: `${r.host}: RAM demand (Σ min(use, burst)) vs usable`,
            start: r.start ?? 0,
            step: r.step,
            series: [{ name: 'demand', values: r.hostDemand }],
            capacity: caps,
            format: fmtBytes,
          }),
          histogramSvg({
            title: `${r.host}: RAM demand distribution`,
            values: r.hostDemand,
            capacity: caps,
            format: fmtBytes,
          }),
        ]),
      );
    }
    const { hostDemand: _h, ...rest } = r;
    if (o.json) printJson({ ...rest, inputs: loaded?.files ?? [] });
    else process.stdout.write(formatMemory(r));
    if (r.atRisk.length) process.exitCode = 1;
  });

  common(
    cap
      .command('advise <usage...>')
      .description(
        'variability, seasonality, expected peak and a cloud / VPS / dedicated recommendation with monthly costs',
      )
      .option('--prices <file>', 'price table YAML (see docs/capacity-prices.example.yaml)')
      .option('--headroom <fraction>', 'headroom over the p99.5 (default 0.2)')
      .option('--series <name>', 'only the series with this name')
      .option(
        '--scale-out',
        'the workload can spread over several servers (default: one server holds the peak)',
      ),
  ).action(
    async (
      files: string[],
      o: Common & { prices?: string; headroom?: string; series?: string; scaleOut?: boolean },
    ) => {
      const loaded = load(files, o)!;
      const prices = o.prices ? buildPrices(readYaml(o.prices), o.prices) : undefined;
      const picked = o.series ? loaded.series.filter((s) => s.name === o.series) : loaded.series;
      if (!picked.length)
        throw new HostopsError('CAPACITY_NO_MATCH', `No series named ${JSON.stringify(o.series)}`, {
          hint: `loaded: ${loaded.series
            .map((s) => s.name)
            .slice(0, 10)
            .join(', ')}`,
        });
      const list = advise(picked, prices, {
        step: stepOpt(o),
        headroom: numOpt(o.headroom, '--headroom', 0, 10),
        scaleOut: !!o.scaleOut,
      });
      if (o.chart) {
        const aligned = (await import('../capacity/series.js')).alignAll(
          picked.slice(0, 1),
          stepOpt(o),
        );
        const s = aligned.series[0],
          a = list[0];
        const caps = [
          { value: a.expectedPeak.sizing, label: `size for ${num(a.expectedPeak.sizing)}` },
        ];
        await writeChart(
          o.chart,
          stackSvg([
            timeChartSvg({
              title: `${s.name}: usage`,
              start: s.start,
              step: s.step,
              series: [{ name: s.name, values: s.values }],
              capacity: caps,
            }),
            histogramSvg({
              title: `${s.name}: usage distribution`,
              values: s.values,
              capacity: caps,
            }),
          ]),
        );
      }
      if (o.json) printJson({ advice: list, inputs: loaded.files, problems: loaded.problems });
      else {
        process.stdout.write(formatAdvice(list));
        const pt = problemsText(loaded.problems, []);
        if (pt) process.stdout.write(pt + '\n');
      }
    },
  );
}
