/**
 * A short-lived cache of built overviews: the grouped dashboard asks for the groups, a page of
 * cells, the worst pairs and a search in one refresh, and each is a view of the same matrix. An
 * entry is shared while it is being built (single flight) and reused while it is younger than the
 * TTL and the data version it was built at (the rollup watermarks) is unchanged; a version the
 * store cannot tell (null) leaves the TTL alone to decide.
 */
export class OverviewCache<T> {
  /** Builds started (tests count them). */
  builds = 0;
  private entries = new Map<
    string,
    { at: number; version: string | null; done: boolean; value: Promise<T> }
  >();

  constructor(
    private ttlMs = 3000,
    private clock: () => number = Date.now,
  ) {}

  async get(key: string, version: string | null, build: () => Promise<T>): Promise<T> {
    const e = this.entries.get(key);
    if (
      e &&
      (!e.done || (this.clock() - e.at < this.ttlMs && (version === null || e.version === version)))
    )
      return e.value;
    this.builds++;
    const entry = { at: this.clock(), version, done: false, value: build() };
    this.entries.set(key, entry);
    // expired entries of other keys go as new ones come: the map holds a few windows at most
    for (const [k, x] of this.entries)
      if (x.done && this.clock() - x.at >= this.ttlMs) this.entries.delete(k);
    entry.value.then(
      () => {
        entry.done = true;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }
}
