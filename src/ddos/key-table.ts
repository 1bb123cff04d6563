/**
 * An open-addressing hash table over fixed-width u32 keys, with dense ids in insertion order.
 * The capture hot loop fills a scratch key and asks for its id, so no object is allocated per
 * packet; callers keep their counters in typed arrays indexed by that id.
 */
export class KeyTable {
  readonly width: number;
  /** Counters per entry: vals[id * nvals + field], grown with the table. */
  readonly nvals: number;
  vals: Float64Array;
  /** Dense keys: id * width .. id * width + width - 1. */
  keys: Uint32Array;
  /** Slots hold id + 1 (0 = empty). */
  private slots: Int32Array;
  private mask: number;
  size = 0;
  /** Scratch key the caller fills before find()/insert(). */
  readonly key: Uint32Array;
  /** True when the last upsert() created the entry. */
  created = false;

  constructor(width: number, nvals: number, initialCapacity = 1024) {
    this.width = width;
    this.nvals = nvals;
    let cap = 16;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.keys = new Uint32Array((cap >> 1) * width);
    this.vals = new Float64Array((cap >> 1) * nvals);
    this.key = new Uint32Array(width);
  }

  get capacity(): number {
    return this.keys.length / this.width;
  }

  private hash(k: Uint32Array, base: number): number {
    // multiply-rotate per word, one avalanche at the end (murmur3-style finaliser)
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.width; i++) {
      h = Math.imul(h ^ k[base + i], 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** Id of the scratch key, or -1. */
  find(): number {
    const k = this.key,
      w = this.width,
      keys = this.keys;
    let s = this.hash(k, 0) & this.mask;
    for (;;) {
      const v = this.slots[s];
      if (v === 0) return -1;
      const id = v - 1,
        b = id * w;
      let eq = true;
      for (let i = 0; i < w; i++)
        if (keys[b + i] !== k[i]) {
          eq = false;
          break;
        }
      if (eq) return id;
      s = (s + 1) & this.mask;
    }
  }

  /** Id of the scratch key, inserting it when absent (sets `created`). */
  upsert(): number {
    const k = this.key,
      w = this.width;
    const keys = this.keys;
    let s = this.hash(k, 0) & this.mask;
    for (;;) {
      const v = this.slots[s];
      if (v === 0) break;
      const id = v - 1,
        b = id * w;
      let eq = true;
      for (let i = 0; i < w; i++)
        if (keys[b + i] !== k[i]) {
          eq = false;
          break;
        }
      if (eq) {
        this.created = false;
        return id;
      }
      s = (s + 1) & this.mask;
    }
    const id = this.size++;
    if (id >= this.capacity) {
      this.grow();
      this.size--;
      return this.upsert();
    }
    keys.set(k, id * w);
    this.slots[s] = id + 1;
    this.created = true;
    return id;
  }

  private grow(): void {
    const cap = this.slots.length << 1;
    const keys = new Uint32Array((cap >> 1) * this.width);
    keys.set(this.keys);
    this.keys = keys;
    const vals = new Float64Array((cap >> 1) * this.nvals);
    vals.set(this.vals);
    this.vals = vals;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    for (let id = 0; id < this.size; id++) {
      let s = this.hash(keys, id * this.width) & this.mask;
      while (this.slots[s] !== 0) s = (s + 1) & this.mask;
      this.slots[s] = id + 1;
    }
  }
}
