/**
 * Keeps an agent measuring when its (remote) database is away: writes that fail go to a local
 * SQLite spool, bounded to maxRows (oldest dropped first, and counted), and are replayed in order
 * once the database answers again. Reads go straight to the database.
 */
import { SqliteDriver } from './sqlite-driver.js';
import type {
  CheckRecord,
  JobState,
  MailqSample,
  PathRecord,
  PingRound,
  ProbeRecord,
  Store,
  ThroughputRecord,
} from './types.js';

type Op =
  | ['pings', PingRound[]]
  | ['path', PathRecord]
  | ['throughput', ThroughputRecord[]]
  | ['mailq', MailqSample]
  | ['check', CheckRecord]
  | ['job', JobState]
  | ['probe', ProbeRecord];

export interface SpoolStats {
  rows: number;
  dropped: number;
  lastError: string | null;
  flushing: boolean;
}

export class SpooledStore implements Store {
  private spool: SqliteDriver;
  private dropped = 0;
  private lastError: string | null = null;
  private flushing: Promise<void> | null = null;
  private migrated = false;

  /** Writes that went unanswered past the timeout and were spooled; their late outcome is awaited. */
  private hung = 0;
  /** Rollups in progress by site: never two at once for one site. */
  private rollups = new Map<string, Promise<number>>();

  /**
   * writeTimeoutMs: a write the database has not answered by then is spooled and the caller goes
   * on (a silently dropped path otherwise stalls the measuring job for TCP's many minutes).
   */
  constructor(
    readonly inner: Store,
    spoolPath: string,
    private maxRows = 1_000_000,
    private writeTimeoutMs = 10_000,
  ) {
    this.spool = new SqliteDriver(spoolPath);
    this.spool.db.exec(
      'CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, op TEXT NOT NULL, payload TEXT NOT NULL)',
    );
  }

  get kind() {
    return this.inner.kind;
  }

  stats(): SpoolStats {
    const rows = (this.spool.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number })
      .n;
    return {
      rows,
      dropped: this.dropped,
      lastError: this.lastError,
      flushing: this.flushing !== null,
    };
  }

  private pending(): boolean {
    return this.spool.db.prepare('SELECT 1 FROM spool LIMIT 1').get() !== undefined;
  }

  private async apply(op: Op): Promise<void> {
    if (!this.migrated) await this.migrate();
    switch (op[0]) {
      case 'pings':
        return this.inner.writePings(op[1]);
      case 'path':
        return this.inner.writePath(op[1]);
      case 'throughput':
        return this.inner.writeThroughput(op[1]);
      case 'mailq':
        return this.inner.writeMailq(op[1]);
      case 'check':
        return this.inner.writeCheck(op[1]);
      case 'job':
        return this.inner.setJobState(op[1]);
      case 'probe':
        return this.inner.writeProbe(op[1]);
    }
  }

  private enqueue(op: Op): number {
    this.spool.batchSync([
      ['INSERT INTO spool (op, payload) VALUES ($1, $2)', [op[0], JSON.stringify(op[1])]],
    ]);
    const id = Number(
      (this.spool.db.prepare('SELECT last_insert_rowid() AS id').get() as { id: number }).id,
    );
    const n = (this.spool.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
    if (n > this.maxRows) {
      const excess = n - this.maxRows;
      this.spool.batchSync([
        ['DELETE FROM spool WHERE id IN (SELECT id FROM spool ORDER BY id LIMIT $1)', [excess]],
      ]);
      this.dropped += excess;
    }
    return id;
  }

  /** Write through; on failure, no answer in time, or while a backlog exists (to keep order) spool locally. */
  private async write(op: Op): Promise<void> {
    if (this.pending() || this.hung) {
      this.enqueue(op);
      void this.flush().catch(() => {});
      return;
    }
    const p = this.apply(op);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.writeTimeoutMs);
    });
    try {
      if ((await Promise.race([p, late])) !== 'late') {
        this.lastError = null;
        return;
      }
      // unanswered: keep a copy; if the write lands after all, the copy goes (no duplicate rows),
      // and nothing is replayed until it has settled one way or the other
      const id = this.enqueue(op);
      this.hung++;
      this.lastError = `no answer from the database within ${this.writeTimeoutMs / 1000} s`;
      p.then(
        () => {
          this.spool.batchSync([['DELETE FROM spool WHERE id = $1', [id]]]);
        },
        () => {},
      ).finally(() => {
        this.hung--;
        void this.flush().catch(() => {});
      });
    } catch (e) {
      this.lastError = (e as Error).message;
      this.enqueue(op);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The inner call, or a rejection once it has gone unanswered for the write timeout (it may still finish). */
  private bounded<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${what}: no answer from the database within ${this.writeTimeoutMs / 1000} s`,
            ),
          ),
        this.writeTimeoutMs,
      );
    });
    p.catch(() => {}); // a late failure after the timeout is not unhandled
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /** Replay the backlog in order; stops at the first failure (the database is still away). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.hung) return Promise.resolve(); // an unanswered write may still land: replay after it settles
    this.flushing = (async () => {
      try {
        for (;;) {
          const rows = this.spool.db
            .prepare('SELECT id, op, payload FROM spool ORDER BY id LIMIT 200')
            .all() as { id: number; op: Op[0]; payload: string }[];
          if (!rows.length) return;
          for (const r of rows) {
            try {
              await this.apply([r.op, JSON.parse(r.payload)] as Op);
            } catch (e) {
              this.lastError = (e as Error).message;
              throw e;
            }
            this.spool.batchSync([['DELETE FROM spool WHERE id = $1', [r.id]]]);
          }
          this.lastError = null;
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async migrate() {
    await this.inner.migrate();
    this.migrated = true;
  }
  writePings(rows: PingRound[]) {
    return rows.length ? this.write(['pings', rows]) : Promise.resolve();
  }
  writePath(rec: PathRecord) {
    return this.write(['path', rec]);
  }
  writeThroughput(recs: ThroughputRecord[]) {
    return recs.length ? this.write(['throughput', recs]) : Promise.resolve();
  }
  writeMailq(rec: MailqSample) {
    return this.write(['mailq', rec]);
  }
  writeCheck(rec: CheckRecord) {
    return this.write(['check', rec]);
  }
  setJobState(s: JobState) {
    return this.write(['job', s]);
  }
  writeProbe(rec: ProbeRecord) {
    return this.write(['probe', rec]);
  }
  jobStates(site: string) {
    return this.inner.jobStates(site);
  }
  /**
   * One pass per site at a time: a call while one runs joins it. The caller waits at most the
   * write timeout; the pass itself is bounded by the database (statement_timeout), and until it
   * has ended no other starts.
   */
  rollup(site?: string) {
    const key = site ?? '\0all';
    let p = this.rollups.get(key);
    if (!p) {
      p = this.inner.rollup(site).finally(() => this.rollups.delete(key));
      this.rollups.set(key, p);
    }
    return this.bounded('rollup', p);
  }
  prune(now: number, r: { raw: number; fiveMinute: number; hourly: number }, site: string) {
    return this.inner.prune(now, r, site);
  }
  maintain() {
    return this.inner.maintain();
  }
  overviewRows(since: number, site?: string) {
    return this.inner.overviewRows(since, site);
  }
  overviewPairs(since: number, site?: string) {
    return this.inner.overviewPairs ? this.inner.overviewPairs(since, site) : Promise.resolve(null);
  }
  rollupMarks() {
    return this.inner.rollupMarks ? this.inner.rollupMarks() : Promise.resolve(null);
  }
  slaCounts(...a: Parameters<Store['slaCounts']>) {
    return this.inner.slaCounts(...a);
  }
  dataVersion() {
    return this.inner.dataVersion ? this.inner.dataVersion() : Promise.resolve(null);
  }
  windowCounts(since: number, site?: string) {
    return this.inner.windowCounts ? this.inner.windowCounts(since, site) : Promise.resolve(null);
  }
  async registerSlas(specs: Parameters<NonNullable<Store['registerSlas']>>[0]) {
    await this.inner.registerSlas?.(specs);
  }
  retentionHoldouts(now: number) {
    return this.inner.retentionHoldouts ? this.inner.retentionHoldouts(now) : Promise.resolve([]);
  }
  pingHistory(...a: Parameters<Store['pingHistory']>) {
    return this.inner.pingHistory(...a);
  }
  pingCount(site?: string) {
    return this.inner.pingCount(site);
  }
  sites() {
    return this.inner.sites();
  }
  latestPaths(site?: string) {
    return this.inner.latestPaths(site);
  }
  throughputHistory(from: number, to: number, site?: string) {
    return this.inner.throughputHistory(from, to, site);
  }
  mailqHistory(site: string, from: number, to: number) {
    return this.inner.mailqHistory(site, from, to);
  }
  latestMailq(site: string) {
    return this.inner.latestMailq(site);
  }
  latestChecks(kind: string, site?: string) {
    return this.inner.latestChecks(kind, site);
  }
  probeHistory(...a: Parameters<Store['probeHistory']>) {
    return this.inner.probeHistory(...a);
  }
  latestProbes(site?: string) {
    return this.inner.latestProbes(site);
  }
  async close() {
    try {
      await this.flush();
    } catch {
      /* the backlog stays in the spool for the next start */
    }
    await this.spool.close();
    await this.inner.close();
  }
}
