/**
 * exim -bp text (bp-format.ts has the layout) of parsed messages and of queue index rows. An
 * index row holds its -bp text after a four-byte age slot; only the age depends on the time of
 * listing, so rows are copied, or for a run handed over whole, the ages are written into the
 * slots and the column is passed on in large views without a copy per message.
 */
import { AGE_SLOT, formatAge, formatBpTail, hasAge } from '../bp-format.js';
import { OutBuffer } from '../out-buffer.js';
import type { IndexView } from '../spool-index.js';
import type { QueueMessage } from '../types.js';
import type { Format, Renderer } from './renderer.js';

/** Age column text by whole minutes (what formatAge depends on), made once per value. */
export class Ages {
  private readonly memo = new Map<number, string>();
  constructor(readonly now: number) {}
  get(time: number): string {
    const min = Math.trunc((this.now - time) / 60);
    let s = this.memo.get(min);
    if (s === undefined) this.memo.set(min, (s = formatAge(this.now - time)));
    return s;
  }
}

class BpText implements Renderer {
  // each message's -bp block written straight into latin1 buffers (no join, no re-encoding)
  private readonly out = new OutBuffer();
  private readonly ages: Ages;

  constructor(private readonly now: number) {
    this.ages = new Ages(now);
  }

  message(m: QueueMessage, bpTail: string | undefined): void {
    if (hasAge(m)) this.out.latin1(formatAge(this.now - m.time));
    this.out.latin1(bpTail ?? formatBpTail(m));
  }

  prepare(v: IndexView): void {
    void v.bp;
  }

  /** Row r's -bp text copied out, its age written into the copy's slot. */
  row(v: IndexView, r: number): void {
    const bp = v.bp,
      off = v.bpOff;
    let from = off[r];
    if (v.aged(r)) {
      const age = this.ages.get(v.time[r]);
      if (age.length === AGE_SLOT.length) {
        this.out.bytes(bp, from, off[r + 1]);
        this.out.patchLatin1(age, off[r + 1] - from);
        return;
      }
      this.out.latin1(age); // a century, or a clock far off: it does not fit the slot
      from += AGE_SLOT.length;
    }
    this.out.bytes(bp, from, off[r + 1]);
  }

  /** The ages written into the column's own slots, the run passed on as views of it. */
  rows(v: IndexView, from: number, to: number): void {
    const bp = v.bp,
      off = v.bpOff,
      time = v.time;
    let run = off[from];
    for (let r = from; r < to; r++) {
      if (!v.aged(r)) continue;
      const age = this.ages.get(time[r]);
      const at = off[r];
      if (age.length === AGE_SLOT.length) {
        bp[at] = age.charCodeAt(0);
        bp[at + 1] = age.charCodeAt(1);
        bp[at + 2] = age.charCodeAt(2);
        bp[at + 3] = age.charCodeAt(3);
      } else {
        // a century, or a clock far off: it does not fit the slot
        if (at > run) this.out.view(bp.subarray(run, at));
        this.out.latin1(age);
        run = at + AGE_SLOT.length;
      }
    }
    if (off[to] > run) this.out.view(bp.subarray(run, off[to]));
  }

  take(): Buffer[] {
    return this.out.take();
  }
}

/** `exim -bp`: every top-level recipient, D when delivered. */
export const bpText: Format = {
  name: 'bp',
  fromIndex: true,
  fields: false,
  create: (now) => new BpText(now),
};
