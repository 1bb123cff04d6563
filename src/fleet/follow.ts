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

export interface Assignment { site: string; fetchedAt: number; targets: FleetTarget[] }
export type AssignmentSource = 'database' | 'copy';

/** The site's targets, or null when the database has no inventory or does not know the site. */
export async function loadAssignment(sql: postgres.Sql, site: string): Promise<FleetTarget[] | null> {
  if (!await hasFleet(sql)) return null;
  const inv = await readInventory(sql);
  if (!inv.sites.some((s) => s.name === site)) return null;
  return targetsOf(inv, site);
}

function readCopy(file: string, site: string): Assignment | null {
  try {
    const a = JSON.parse(readFileSync(file, 'utf8')) as Assignment;
    return a.site === site && Array.isArray(a.targets) ? a : null;
  } catch { return null; }
}

function writeCopy(file: string, a: Assignment): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(a, null, 1) + '\n');
  renameSync(`${file}.tmp`, file); // never a half-written copy
}

export interface FollowOptions {
  sql: postgres.Sql; site: string; copyPath: string;
  onChange(targets: FleetTarget[], source: AssignmentSource): void | Promise<void>;
  log?(msg: string): void;
  retrySeconds?: number;
  now?(): number;
}

export class FleetFollower {
  private unlisten: (() => Promise<void>) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private last = '';
  private stopped = false;

  constructor(private o: FollowOptions) {}

  /** The starting assignment (database, else the local copy), or null when this site is not in a fleet. */
  async start(): Promise<{ targets: FleetTarget[]; source: AssignmentSource } | null> {
    try {
      const t = await loadAssignment(this.o.sql, this.o.site);
      if (!t) return null;
      this.keep(t);
      await this.listen();
      return { targets: t, source: 'database' };
    } catch (e) {
      const copy = readCopy(this.o.copyPath, this.o.site);
      if (!copy) throw e;
      this.o.log?.(`fleet database not reachable (${(e as Error).message}): measuring the local copy ${this.o.copyPath} until it is`);
      this.last = JSON.stringify(copy.targets);
      this.scheduleRetry();
      return { targets: copy.targets, source: 'copy' };
    }
  }

  private keep(t: FleetTarget[]): boolean {
    const s = JSON.stringify(t);
    if (s === this.last) return false;
    this.last = s;
    writeCopy(this.o.copyPath, { site: this.o.site, fetchedAt: (this.o.now ?? (() => Date.now() / 1000))(), targets: t });
    return true;
  }

  private async listen(): Promise<void> {
    // postgres.js re-issues LISTEN after a reconnect and then calls onlisten again: refresh then too
    const l = await this.o.sql.listen('hostops_fleet', () => { void this.refresh(); }, () => { void this.refresh(); });
    this.unlisten = l.unlisten;
  }

  /** Re-read the assignment; call onChange when it differs from the last one. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    try {
      const t = await loadAssignment(this.o.sql, this.o.site);
      if (t && this.keep(t)) await this.o.onChange(t, 'database');
    } catch (e) {
      this.o.log?.(`fleet assignment not refreshed: ${(e as Error).message}`);
    }
  }

  private scheduleRetry(): void {
    this.retry = setTimeout(async () => {
      this.retry = null;
      if (this.stopped) return;
      try {
        await this.listen();
        await this.refresh();
      } catch { this.scheduleRetry(); }
    }, (this.o.retrySeconds ?? 30) * 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.unlisten?.().catch(() => {});
  }
}
