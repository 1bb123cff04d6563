/**
 * The inventory's SLA lookup for /api/overview, read once and kept until the inventory changes
 * (NOTIFY hostops_fleet, or a reconnect, after which a notification may have been missed). Without
 * a working LISTEN nothing is cached: a stale SLA is worse than a slower page. A LISTEN that
 * "works" but never delivers (a transaction-pooled PgBouncer) is bounded by maxAgeMs: an entry
 * older than that is read again.
 */
import type postgres from 'postgres';
import type { SlaLookup } from '../serve/overview.js';
import type { Store } from '../store/index.js';
import type { TargetInfo } from '../serve/fleet-views.js';
import { inventorySla, nameAliases, pgOf } from './sla.js';
import { hasFleet } from './schema.js';
import { readInventory } from './inventory.js';

export class InventorySlaCache {
  /** How many times the inventory was read (tests assert on it). */
  loads = 0;
  private cached: Promise<SlaLookup | null> | null = null;
  private listening: Promise<boolean> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private closed = false;

  private cachedAt = 0;
  private infoCachedAt = 0;

  constructor(
    private store: Store,
    private load: (s: Store) => Promise<SlaLookup | null> = inventorySla,
    private maxAgeMs = 60_000,
    private now: () => number = Date.now,
  ) {}

  private invalidate = (): void => {
    this.cached = null;
    this.infoCached = null;
  };

  /** Drop entries older than maxAgeMs (LISTEN may be dead without an error). */
  private expire(): void {
    const t = this.now();
    if (this.cached && t - this.cachedAt >= this.maxAgeMs) this.cached = null;
    if (this.infoCached && t - this.infoCachedAt >= this.maxAgeMs) this.infoCached = null;
  }
  private infoCached: Promise<Map<string, TargetInfo> | null> | null = null;

  private listen(sql: postgres.Sql): Promise<boolean> {
    this.listening ??= sql
      .listen('hostops_fleet', this.invalidate, this.invalidate)
      .then((l) => {
        this.unlisten = l.unlisten;
        if (this.closed) void l.unlisten().catch(() => {});
        return true;
      })
      .catch(() => {
        this.listening = null;
        return false;
      }); // try again on the next request
    return this.listening;
  }

  async get(): Promise<SlaLookup | null> {
    const sql = pgOf(this.store);
    if (!sql) return null;
    if (!(await this.listen(sql))) {
      this.loads++;
      return this.load(this.store);
    }
    this.expire();
    if (!this.cached) {
      this.cachedAt = this.now();
      this.loads++;
      const p = this.load(this.store);
      // a NOTIFY while this read runs nulls `cached` first, so a stale read is never kept
      this.cached = p;
      p.catch(() => {
        if (this.cached === p) this.cached = null;
      });
    }
    return this.cached;
  }

  /** Every name (current and former) of the inventory's targets -> address and groups; null without an inventory. */
  async targets(): Promise<Map<string, TargetInfo> | null> {
    const sql = pgOf(this.store);
    if (!sql) return null;
    const read = async () => {
      if (!(await hasFleet(sql))) return null;
      const inv = await readInventory(sql);
      if (!inv.targets.length) return null;
      const byName = new Map(
        inv.targets.map((t) => [t.name, { name: t.name, address: t.address, groups: t.groups }]),
      );
      for (const [alias, name] of await nameAliases(sql)) {
        const t = byName.get(name);
        if (t && !byName.has(alias)) byName.set(alias, t);
      }
      return byName;
    };
    if (!(await this.listen(sql))) return read();
    this.expire();
    if (!this.infoCached) {
      this.infoCachedAt = this.now();
      const p = read();
      this.infoCached = p;
      p.catch(() => {
        if (this.infoCached === p) this.infoCached = null;
      });
    }
    return this.infoCached;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.unlisten?.().catch(() => {});
  }
}
