/**
 * The overview matrix held as per-site parts, for the fleet views at 50 sites x 10,000 targets:
 * a request merges parts (fleet-views.ts), it does not build 500,000 cells.
 *
 * Each part is one site's cells (buildOverview with `site`: that site's kept SLA-window counts
 * and its recent rows folded per pair in the database), with its group cells, ranked worst pairs
 * and target index computed when it is built. A part is keyed by the site's rollup watermark
 * (meta `rollup:<site>`: the site's rows change only when it moves) and the 5-minute steps of the
 * two window cuts (rows are 5-minute buckets: a cut inside one step selects the same rows), in a
 * state per (window, SLA window, SLA lookup, targets, target info): a change of any of those is a
 * new state, rebuilt whole.
 *
 * Staleness (the choice, documented in docs/fleet.md): parts whose key moved are rebuilt by ONE
 * refresh at a time per state (its builds go through the query gate, `lanes` at once). A request
 * waits for it when it should be short (the last refresh's time per part x the parts to rebuild /
 * lanes <= `waitMs`: small fleets, a few sites landing) or when some changed site has no part yet
 * (the first request) or a part last seen current more than `staleMs` ago. Otherwise (a 5-minute
 * boundary or most sites rolling up at once, at 500,000 pairs) it is answered from the previous
 * parts while the refresh runs in the background: each part served was seen current (its key
 * matched at a request, or its build read the data) at most `staleMs` ago, and every answer says
 * per site when (`asOf`, epoch seconds) and which sites are stale. Waiting there would put a whole
 * rebuild (seconds) into the request; the bound keeps what is shown no older than `staleMs`.
 */
import type { TargetConfig } from '../config/index.js';
import type { Store } from '../store/index.js';
import { buildOverview, sortTargets, type Overview, type SlaLookup } from './overview.js';
import { primeViews, type Matrix, type TargetInfo } from './fleet-views.js';
import type { OverviewCellOut } from './overview.js';

const STEP = 300;

export interface PartsRequest {
  now: number;
  window: number;
  slaWindow: number;
  lookup: SlaLookup | null;
  targets: TargetConfig[];
  info: Map<string, TargetInfo>;
  /** the RTT bound of a cell's SLA (worst by sla): one function per lookup, so parts keep its ranking */
  slaRtt: (c: OverviewCellOut) => number | null;
  /** identity of lookup, targets and info together (a new value: every part is rebuilt) */
  context: string;
}

export interface PartsOptions {
  /** the oldest a part may be (since last seen current) and still be served while it is re-read */
  staleMs: number;
  /** a request waits for its changed parts when rebuilding them should take at most this long */
  waitMs: number;
  /** parts built at once (each through the gate) */
  lanes: number;
}

/**
 * What the API uses: a request waits for a rebuild expected to take at most 200 ms; past that it
 * is answered from parts seen current at most 30 s ago while one refresh runs.
 */
export const PARTS_OPTIONS: PartsOptions = { staleMs: 30_000, waitMs: 200, lanes: 2 };

export interface PartsAnswer {
  matrix: Matrix;
  /** per site: when its part was last seen current, epoch seconds (the request's time for a current part) */
  asOf: Map<string, number>;
  /** sites answered from a part whose data has moved on since (a refresh is running) */
  stale: string[];
}

interface Part {
  key: string;
  ov: Overview;
  /** last moment the part was known current: its build's start, then each request that found its key unchanged */
  currentAt: number;
}

interface State {
  parts: Map<string, Part>;
  refresh: Promise<void> | null;
  /** the keys the running refresh builds */
  building: Map<string, string>;
  /** parts found outdated while a refresh ran that does not build them: the next refresh's */
  pending: { wants: Map<string, string>; sites: string[]; r: PartsRequest; seen: number } | null;
  /** wall ms per part of the last refresh (its time x lanes / parts): what waiting would cost */
  partMs: number;
  matrix: Matrix | null;
  used: number;
}

export class OverviewParts {
  /** Part builds per site (tests count them). */
  builds = new Map<string, number>();
  private states = new Map<string, State>();

  constructor(
    private store: Store,
    /** runs one heavy read (the API's query gate) */
    private run: <T>(f: () => Promise<T>) => Promise<T>,
    private opts: PartsOptions = PARTS_OPTIONS,
    private clock: () => number = Date.now,
  ) {}

  /** The merged matrix for `r`; null when the store cannot tell its sites' watermarks (then build it whole). */
  async get(r: PartsRequest): Promise<PartsAnswer | null> {
    const marks = this.store.rollupMarks ? await this.store.rollupMarks() : null;
    // no watermark at all (nothing rolled up yet, or rows from elsewhere): the whole matrix
    if (!marks?.size || !this.store.windowCounts) return null;
    const id = `${r.window}:${r.slaWindow}:${r.context}`;
    let st = this.states.get(id);
    if (!st) {
      st = {
        parts: new Map(),
        refresh: null,
        building: new Map(),
        pending: null,
        matrix: null,
        used: 0,
        partMs: 0,
      };
      this.states.set(id, st);
      // a few windows at most: the least recently used goes
      if (this.states.size > 4) {
        const old = [...this.states].sort((a, b) => a[1].used - b[1].used)[0][0];
        this.states.delete(old);
      }
    }
    st.used = this.clock();
    const cuts = `${Math.ceil((r.now - r.window) / STEP)}:${Math.ceil((r.now - r.slaWindow) / STEP)}`;
    for (let tries = 0; ; tries++) {
      const seen = this.clock();
      const wants = new Map<string, string>();
      for (const [site, mark] of marks) wants.set(site, `${mark}|${cuts}`);
      for (const site of [...st.parts.keys()])
        if (!wants.has(site)) {
          st.parts.delete(site); // its watermark is gone: so are its rows
          st.matrix = null;
        }
      const outdated: string[] = [];
      let mustWait = false;
      for (const [site, key] of wants) {
        const p = st.parts.get(site);
        if (p && p.key === key) p.currentAt = Math.max(p.currentAt, seen);
        else {
          outdated.push(site);
          if (!p || seen - p.currentAt > this.opts.staleMs) mustWait = true;
        }
      }
      // a short rebuild is waited for (the answer is then current); a long one is not, within staleMs
      const short =
        Math.ceil(outdated.length / Math.max(1, this.opts.lanes)) * st.partMs <= this.opts.waitMs;
      if (short) mustWait = true;
      if (outdated.length) {
        if (!st.refresh) st.refresh = this.refresh(st, wants, outdated, r, seen);
        else if (outdated.some((site) => st.building.get(site) !== wants.get(site)))
          st.pending = { wants, sites: outdated, r, seen }; // it starts when the running one ends
        if (mustWait && tries < 3) {
          await st.refresh;
          continue; // the parts it built may be outdated again already: look once more
        }
        if (mustWait) await this.refresh(st, wants, outdated, r, seen); // still behind: build them here
      }
      st.matrix ??= mergeParts(
        [...st.parts.values()].map((p) => p.ov),
        r,
      );
      const asOf = new Map<string, number>();
      const stale: string[] = [];
      for (const [site, p] of st.parts) {
        const current = p.key === wants.get(site);
        asOf.set(site, (current ? seen : p.currentAt) / 1000);
        if (!current) stale.push(site);
      }
      return { matrix: st.matrix, asOf, stale };
    }
  }

  /** Wait for a running refresh of any state (tests and the bench use it). */
  async settled(): Promise<void> {
    for (const st of this.states.values()) while (st.refresh) await st.refresh.catch(() => {});
  }

  /** Rebuild the outdated parts, `lanes` at once through the gate; one per state at a time. */
  private refresh(
    st: State,
    wants: Map<string, string>,
    sites: string[],
    r: PartsRequest,
    seen: number,
  ): Promise<void> {
    const queue = [...sites];
    const lane = async () => {
      for (let site = queue.shift(); site !== undefined; site = queue.shift()) {
        const s = site;
        const ov = await this.run(() =>
          buildOverview(this.store, r.targets, r.now, r.window, r.slaWindow, r.lookup, s),
        );
        primeViews(ov, r.info, r.slaRtt);
        this.builds.set(s, (this.builds.get(s) ?? 0) + 1);
        const p = st.parts.get(s);
        // a later refresh's part of this site stays
        if (!p || p.currentAt <= seen) {
          st.parts.set(s, { key: wants.get(s)!, ov, currentAt: seen });
          st.matrix = null;
        }
      }
    };
    const lanes = Math.max(1, this.opts.lanes);
    const t0 = this.clock();
    const job = Promise.all(Array.from({ length: lanes }, lane)).then(() => {
      st.partMs = ((this.clock() - t0) * Math.min(lanes, sites.length)) / sites.length;
    });
    st.building = new Map(sites.map((s) => [s, wants.get(s)!]));
    const done = job.finally(() => {
      if (st.refresh !== done) return;
      const next = st.pending;
      st.pending = null;
      st.refresh = next ? this.refresh(st, next.wants, next.sites, next.r, next.seen) : null;
    });
    // a background refresh that fails is retried by the next request; one that waits sees the error
    done.catch(() => {});
    return done;
  }
}

/** One-site Overviews as one Matrix: in site order, with their targets' union in the matrix's order. */
export function mergeParts(
  parts: Overview[],
  r: { now: number; window: number; targets: TargetConfig[] },
): Matrix {
  const filled = parts.filter((o) => o.cells.length);
  // the matrix's cells run in site order by localeCompare; its `sites` list by code units
  filled.sort((a, b) => a.sites[0].localeCompare(b.sites[0]));
  const names = new Set<string>();
  let last: string[] | null = null;
  for (const o of filled) {
    // a full mesh gives every site the same targets: one pass over them, not one per site
    if (last && sameList(last, o.targets)) continue;
    for (const t of o.targets) names.add(t);
    last = o.targets;
  }
  return {
    generatedAt: Math.min(...filled.map((o) => o.generatedAt), r.now),
    window: r.window,
    sites: filled.map((o) => o.sites[0]).sort(),
    targets: sortTargets(names, r.targets),
    parts: filled,
  };
}

const sameList = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
