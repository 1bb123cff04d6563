/**
 * An agent's assignment from the inventory: read at start, followed through NOTIFY hostops_fleet,
 * and kept in a local JSON copy so a PoP that starts without its database measures what it was
 * last told to.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import { hasFleet } from './schema.js';
import { readInventory, targetsOf, type FleetTarget } from './inventory.js';

export interface Assignment {
  site: string;
  fetchedAt: number;
  targets: FleetTarget[];
}
export type AssignmentSource = 'database' | 'copy';

/** The site's targets, or null when the database has no inventory or does not know the site. */
export async function loadAssignment(
  sql: postgres.Sql,
  site: string,
): Promise<FleetTarget[] | null> {
  if (!(await hasFleet(sql))) return null;
  const inv = await readInventory(sql);
  if (!inv.sites.some((s) => s.name === site)) return null;
  return targetsOf(inv, site);
}

function readCopy(file: string, site: string): Assignment | null {
  try {
    const a = JSON.parse(readFileSync(file, 'utf8')) as Assignment;
    return a.site === site && Array.isArray(a.targets) ? a : null;
  } catch {
    return null;
  }
}

function writeCopy(file: string, a: Assignment): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(a, null, 1) + '\n');
  renameSync(`${file}.tmp`, file); // never a half-written copy
}

export interface FollowOptions {
  sql: postgres.Sql;
  site: string;
  copyPath: string;
  onChange(targets: FleetTarget[], source: AssignmentSource): void | Promise<void>;
  log?(msg: string): void;
  /** First retry after this many seconds while the database is unreachable (default 1), doubling... */
  retryFirstSeconds?: number;
  /** ...up to this (default 60). */
  retrySeconds?: number;
  now?(): number;
  /**
   * Re-read the assignment this often once connected (default 300, 0 off), besides LISTEN: behind a
   * transaction-pooled PgBouncer LISTEN succeeds but no notification ever arrives.
   */
  pollSeconds?: number;
}

/** What start() found: the database's assignment, the local copy, or nothing yet (retrying). */
export type StartResult =
  | { targets: FleetTarget[]; source: AssignmentSource }
  | { targets: null; source: 'pending' };

export class FleetFollower {
  private unlisten: (() => Promise<void>) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private attempts = 0;
  private last = '';
  private stopped = false;

  constructor(private o: FollowOptions) {}

  /**
   * The starting assignment (database, else the local copy), or null when this site is not in a
   * fleet. Without the database and without a copy the site may still be in one: 'pending', and
   * the follower retries with backoff until the database answers (then onChange, or it stops
   * when the inventory does not know the site).
   */
  async start(): Promise<StartResult | null> {
    try {
      const t = await this.connect();
      if (!t) return null;
      this.keep(t);
      this.startPoll();
      return { targets: t, source: 'database' };
    } catch (e) {
      const copy = readCopy(this.o.copyPath, this.o.site);
      if (copy) {
        this.o.log?.(
          `fleet database not reachable (${(e as Error).message}): measuring the local copy ${this.o.copyPath} until it is`,
        );
        this.last = JSON.stringify(copy.targets);
      } else {
        this.o.log?.(
          `fleet database not reachable (${(e as Error).message}) and no local copy ${this.o.copyPath}: retrying, measuring the config's targets until it answers`,
        );
      }
      this.scheduleRetry();
      return copy
        ? { targets: copy.targets, source: 'copy' }
        : { targets: null, source: 'pending' };
    }
  }

  /** The site's assignment, LISTENing from now on; null (not listening) when the site is not in a fleet. */
  private async connect(): Promise<FleetTarget[] | null> {
    const t = await loadAssignment(this.o.sql, this.o.site);
    if (t) await this.listen();
    return t;
  }

  private keep(t: FleetTarget[]): boolean {
    const s = JSON.stringify(t);
    if (s === this.last) return false;
    this.last = s;
    writeCopy(this.o.copyPath, {
      site: this.o.site,
      fetchedAt: (this.o.now ?? (() => Date.now() / 1000))(),
      targets: t,
    });
    return true;
  }

  private async listen(): Promise<void> {
    if (this.unlisten) return;
    // postgres.js re-issues LISTEN after a reconnect and then calls onlisten again: refresh then too
    const l = await this.o.sql.listen(
      'hostops_fleet',
      () => {
        void this.refresh();
      },
      () => {
        void this.refresh();
      },
    );
    this.unlisten = l.unlisten;
  }

  private refreshing: Promise<void> | null = null;
  private again = false;

  /**
   * Re-read the assignment; call onChange when it differs from the last one. One read at a time:
   * a NOTIFY during a read asks for one more read after it, so a burst of changes never leaves
   * an older read applied last.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          if (this.stopped) return;
          try {
            const t = await loadAssignment(this.o.sql, this.o.site);
            if (t && this.keep(t)) await this.o.onChange(t, 'database');
          } catch (e) {
            this.o.log?.(`fleet assignment not refreshed: ${(e as Error).message}`);
          }
        } while (this.again);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Seconds before the next attempt: first, doubling per failure, capped. */
  retryDelay(): number {
    const first = this.o.retryFirstSeconds ?? 1;
    return Math.min(this.o.retrySeconds ?? 60, first * 2 ** Math.min(this.attempts, 30));
  }

  private scheduleRetry(): void {
    const delay = this.retryDelay();
    this.attempts++;
    this.retry = setTimeout(async () => {
      this.retry = null;
      if (this.stopped) return;
      let t: FleetTarget[] | null;
      try {
        t = await this.connect();
      } catch {
        this.scheduleRetry();
        return;
      }
      if (this.stopped) return;
      if (!t) {
        this.o.log?.(
          `fleet database reached: site ${this.o.site} is not in its inventory, not following`,
        );
        return;
      }
      this.o.log?.(
        `fleet database reached after ${this.attempts} attempt(s): following the inventory`,
      );
      this.startPoll();
      await this.refresh(); // through the one-at-a-time path: LISTEN's first callback may be reading too
    }, delay * 1000);
    this.retry.unref();
  }

  /** The safety net under LISTEN: a periodic read through refresh() (unchanged assignments are ignored by keep()). */
  private startPoll(): void {
    const s = this.o.pollSeconds ?? 300;
    if (s <= 0 || this.poll || this.stopped) return;
    this.poll = setInterval(() => {
      void this.refresh();
    }, s * 1000);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    await this.unlisten?.().catch(() => {});
  }
}
