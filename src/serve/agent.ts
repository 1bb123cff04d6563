/**
 * The running agent: one store, one scheduler with the measuring jobs, the iperf3 server peers
 * test against, and the metrics the HTTP side exposes.
 */
import type { ResolvedConfig } from '../config/index.js';
import { openStore, SpooledStore, type Store } from '../store/index.js';
import { AgentMetrics } from './metrics.js';
import { defaultProbes, type Probes } from './probes/index.js';
import { Scheduler, type Job, type JobEvent } from './scheduler.js';
import type { JobContext } from './jobs/context.js';
import { pingJob } from './jobs/ping.js';
import { pathJob } from './jobs/path.js';
import { iperfJob } from './jobs/iperf.js';
import { mailqJob, mailqSourcesJob } from './jobs/mailq.js';
import { ampJob, capacityJob, ntpJob } from './jobs/checks.js';
import { pruneJob, rollupJob } from './jobs/maintenance.js';

export interface AgentOptions {
  store?: Store;
  probes?: Partial<Probes>;
  log?: (msg: string) => void;
  now?: () => number;
  /** Seconds over which first runs spread at start (default 3). */
  firstRunSpread?: number;
}

export class Agent {
  readonly metrics: AgentMetrics;
  readonly probes: Probes;
  readonly scheduler: Scheduler;
  readonly jobs: Job[] = [];
  readonly notes: string[] = [];
  private iperfServer: { port: number; close(): Promise<void> } | null = null;
  private spoolTimer: NodeJS.Timeout | null = null;

  private constructor(readonly cfg: ResolvedConfig, readonly store: Store, o: AgentOptions) {
    this.metrics = new AgentMetrics(cfg.site);
    this.probes = { ...defaultProbes({ mailqSpool: cfg.mailq.spool, mailqLog: cfg.mailq.log, latency: cfg.ping.prober }), ...o.probes };
    const log = o.log ?? ((m: string) => process.stderr.write(`hostops serve: ${m}\n`));
    const now = o.now ?? (() => Date.now() / 1000);
    this.ctx = { cfg, site: cfg.site, store, metrics: this.metrics, probes: this.probes, now, log };
    this.scheduler = new Scheduler({ store, site: cfg.site, now, firstRunSpread: o.firstRunSpread, onRun: (e) => this.onRun(e) });
  }

  private ctx: JobContext;

  static async create(cfg: ResolvedConfig, o: AgentOptions = {}): Promise<Agent> {
    const store = o.store ?? await openStore(cfg.store);
    const a = new Agent(cfg, store, o);
    await a.plan();
    return a;
  }

  /** Decide which jobs this host gets (mail queue only where Exim has a spool). */
  private async plan(): Promise<void> {
    const { cfg, ctx } = this;
    const add = (j: Job) => { this.jobs.push(j); this.scheduler.add(j); };
    add(pingJob(ctx));
    if (cfg.path.enabled) add(pathJob(ctx));
    for (const p of cfg.iperf.peers) add(iperfJob(ctx, p));
    const mailq = cfg.mailq.enabled === 'auto' ? await this.probes.mailq.available() : cfg.mailq.enabled;
    const sourcesJob = mailq ? mailqSourcesJob(ctx) : null;
    if (mailq) add(mailqJob(ctx));
    if (sourcesJob) add(sourcesJob);
    if (!mailq) this.notes.push('no local Exim queue found: mail queue sampling is off');
    if (cfg.ntp.enabled) add(ntpJob(ctx));
    if (cfg.amp.enabled && cfg.amp.targets.length) add(ampJob(ctx));
    add(capacityJob(ctx));
    add(rollupJob(ctx));
    add(pruneJob(ctx));
  }

  private onRun(e: JobEvent): void {
    const m = this.metrics;
    m.jobRuns.inc({ task: e.job, result: e.ok ? 'success' : 'failure' });
    m.jobDuration.set({ task: e.job }, e.duration);
    m.jobFailures.set({ task: e.job }, e.failures);
    if (e.ok) m.jobLastSuccess.set({ task: e.job }, e.start + e.duration);
    else this.ctx.log(`job ${e.job} failed (${e.failures} in a row, next in ${Math.round(e.nextRun - this.ctx.now())} s): ${e.error}`);
  }

  async start(): Promise<void> {
    if (this.cfg.iperf.server) {
      try {
        this.iperfServer = await this.probes.throughput.server({ host: this.cfg.iperf.host, port: this.cfg.iperf.port });
      } catch (e) {
        this.notes.push(`iperf3 server not started: ${(e as Error).message}`);
      }
    }
    await this.scheduler.start();
    if (this.store instanceof SpooledStore) {
      const s = this.store;
      this.spoolTimer = setInterval(() => {
        const st = s.stats();
        this.metrics.spoolRows.set(st.rows);
        this.metrics.spoolDropped.set(st.dropped);
        if (st.rows) s.flush().catch(() => {});
      }, 5000);
      this.spoolTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.spoolTimer) clearInterval(this.spoolTimer);
    await this.scheduler.stop();
    await this.iperfServer?.close();
    await this.store.close();
  }
}
