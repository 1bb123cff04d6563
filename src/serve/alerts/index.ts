/**
 * Alerting inside `hostops serve`: the built-in rules watch what the jobs write (a store wrapper
 * hands every ping round, path, sample and check to them as it is written) and every job run; the
 * engine keeps the alert states; the dispatcher notifies Alertmanager, webhooks and email.
 */
import { seriesOf } from '../feeds.js';
import type { Registry } from 'prom-client';
import type { ResolvedConfig } from '../../config/index.js';
import type { Store } from '../../store/index.js';
import type { JobEvent } from '../scheduler.js';
import { AlertEngine, type AlertView } from './engine.js';
import { AlertMetrics } from './metrics.js';
import { Dispatcher } from './notify/dispatch.js';
import { BuiltinRules } from './rules.js';
import { ProbeRules } from './probe-rules.js';

export {
  AlertEngine,
  fingerprint,
  type AlertView,
  type AlertSpec,
  type Verdict,
} from './engine.js';
export {
  webhookMessage,
  apiAlert,
  emailText,
  type WebhookMessage,
  type ApiAlert,
} from './notify/payloads.js';
export { viaSendmail, viaSmtp, formatMessage } from './notify/email.js';

export interface AlertingOptions {
  registry: Registry | null;
  log: (m: string) => void;
  now: () => number;
  baseURL: () => string;
}

const RULE_OF: Record<string, keyof ResolvedConfig['alerts']['rules']> = {
  HostopsTargetDown: 'targetDown',
  HostopsSLABreach: 'sla',
  HostopsPacketLoss: 'packetLoss',
  HostopsPathChanged: 'pathChanged',
  HostopsMailQueueGrowth: 'mailQueue',
  HostopsMailFrozen: 'mailFrozen',
  HostopsSpamSource: 'spamSource',
  HostopsNTPExposed: 'ntpExposed',
  HostopsAmplifierFound: 'amplifier',
  HostopsThroughputLow: 'throughputLow',
  HostopsJobFailing: 'jobFailing',
  HostopsCapacityAtRisk: 'capacityAtRisk',
  HostopsProbeSLABreach: 'probeSla',
  HostopsCertExpiring: 'certExpiry',
};

export class Alerting {
  readonly engine: AlertEngine;
  readonly rules: BuiltinRules;
  /** SLA and certificate rules of the probes: section. */
  readonly probeRules: ProbeRules;
  readonly dispatcher: Dispatcher;
  readonly metrics: AlertMetrics | null;
  private timer: NodeJS.Timeout | null = null;
  private cfg: ResolvedConfig;

  constructor(
    cfg: ResolvedConfig,
    private o: AlertingOptions,
  ) {
    this.cfg = cfg;
    this.metrics = o.registry ? new AlertMetrics(o.registry) : null;
    this.engine = new AlertEngine(cfg.site, o.now);
    this.rules = new BuiltinRules(cfg, this.engine, this.metrics);
    this.rules.slaLimits();
    this.probeRules = new ProbeRules(cfg, this.engine, o.registry);
    this.dispatcher = new Dispatcher(cfg.alerts, {
      metrics: this.metrics,
      log: o.log,
      baseURL: o.baseURL,
    });
    this.metrics?.setActive([]);
  }

  /** A rule that throws must not fail the job that measured: log it and go on. */
  private guard(what: string, f: () => void): void {
    try {
      f();
      this.evaluate();
    } catch (e) {
      this.o.log(`alert rules on ${what}: ${(e as Error)?.stack ?? e}`);
    }
  }

  /** The store the jobs write to: the same store, with every write shown to the rules first. */
  observe(store: Store): Store {
    const hooks: Partial<Record<keyof Store, (arg: never) => void>> = {
      writePings: (rows: Parameters<Store['writePings']>[0]) =>
        this.guard('ping rounds', () => this.rules.ping(rows)),
      writePath: (rec: Parameters<Store['writePath']>[0]) =>
        this.guard('a path', () => this.rules.path(rec)),
      writeThroughput: (recs: Parameters<Store['writeThroughput']>[0]) =>
        this.guard('throughput', () => this.rules.throughput(recs)),
      writeMailq: (s: Parameters<Store['writeMailq']>[0]) =>
        this.guard('the mail queue', () => this.rules.mailqSample(s)),
      writeCheck: (c: Parameters<Store['writeCheck']>[0]) =>
        this.guard(`a ${c.kind} check`, () => this.rules.check(c)),
      writeProbe: (r: Parameters<Store['writeProbe']>[0]) =>
        this.guard(`probe ${r.probe}`, () => this.probeRules.probe(r)),
    };
    return new Proxy(store, {
      get(target, prop) {
        // the store itself as `this`: its getters and private fields must not see the proxy
        const v = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        const hook = hooks[prop as keyof Store] as ((a: unknown) => void) | undefined;
        if (!hook) return v.bind(target);
        return (arg: unknown) => {
          hook(arg);
          return v.call(target, arg);
        };
      },
    });
  }

  unprobed(ts: number, list: { target: string; host: string; error?: string }[]): void {
    this.guard('unprobed targets', () => this.rules.unprobed(ts, list));
  }

  onRun(e: JobEvent): void {
    this.guard(`job ${e.job}`, () => this.rules.job(e));
  }

  /**
   * What the rules need from before a restart: the last path of each target (so the first new
   * one is compared with something) and the rounds of each SLA window (so hostops_sla_* and the
   * SLA rule are whole from the start, not after a window of new rounds).
   */
  async start(store: Store): Promise<void> {
    const { site, targets } = this.cfg;
    try {
      for (const p of await store.latestPaths(site)) this.rules.seedPath(p);
    } catch {
      /* database away: no baseline */
    }
    const now = this.o.now();
    const from = now - this.cfg.alerts.rules.sla.window;
    try {
      for (const t of targets) {
        if (!t.sla && !t.sites?.[site]) continue;
        const h = await store.pingHistory(site, t.name, from, now, 'raw');
        this.rules.seedRounds(
          t.name,
          h.ts.map((ts, i) => ({
            ts,
            sent: h.sent[i],
            received: h.received[i],
            median: h.median[i],
          })),
        );
      }
    } catch {
      /* database away: the window fills with new rounds */
    }
    try {
      for (const p of this.cfg.probes) {
        if (p.sla)
          this.probeRules.seed(
            p.name,
            await store.probeHistory(site, p.name, now - this.probeRules.windowOf(p), now),
          );
      }
    } catch {
      /* database away: the window fills with new runs */
    }
    this.evaluate();
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(
      () => this.guard('the evaluation tick', () => this.engine.tick()),
      Math.max(0.2, this.cfg.alerts.evaluate) * 1000,
    );
    this.timer.unref();
  }

  /** Apply a reloaded config: thresholds, receivers; alerts of what is gone resolve. */
  configure(cfg: ResolvedConfig, jobs: string[]): void {
    const evaluate = this.cfg.alerts.evaluate;
    this.cfg = cfg;
    this.rules.configure(cfg);
    this.probeRules.configure(cfg);
    const probes = new Set(cfg.probes.map((p) => p.name));
    this.dispatcher.configure(cfg.alerts);
    const targets = new Set([
      ...cfg.targets.map((t) => t.name),
      ...cfg.iperf.peers.map((p) => p.name),
      ...cfg.amp.targets,
      ...seriesOf(cfg.targets, cfg.feeds).map((s) => s.name),
    ]);
    const jobSet = new Set(jobs);
    this.guard('the reload', () =>
      this.engine.retain((l) => {
        const rule = RULE_OF[l.alertname];
        if (rule && !cfg.alerts.rules[rule].enabled) return false;
        if (l.job !== undefined && !jobSet.has(l.job)) return false;
        if (l.probe !== undefined && !probes.has(l.probe)) return false;
        if (l.target !== undefined && l.check !== 'contention' && !targets.has(l.target))
          return false;
        return true;
      }),
    );
    if (this.timer && evaluate !== cfg.alerts.evaluate) this.arm();
  }

  /** Hand the changes since the last evaluation to the receivers and the metrics. */
  evaluate(): void {
    const c = this.engine.drain();
    const active = this.engine.active();
    this.metrics?.setActive(active);
    for (const a of c.fired) this.o.log(`alert firing: ${describe(a)}`);
    for (const a of c.resolved) this.o.log(`alert resolved: ${describe(a)}`);
    this.dispatcher.notify(
      c,
      active.filter((a) => a.state === 'firing'),
      this.o.now(),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

const describe = (a: AlertView) =>
  `${a.labels.alertname}{${Object.entries(a.labels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}: ${a.annotations.description ?? a.annotations.summary ?? ''}`;
