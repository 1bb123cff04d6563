/** One message id per line (exiqgrep -i, exipick -i). */
import { OutBuffer } from '../out-buffer.js';
import type { IndexView } from '../spool-index.js';
import type { QueueMessage } from '../types.js';
import type { Format, Renderer } from './renderer.js';

class IdLines implements Renderer {
  private readonly out = new OutBuffer();

  message(m: QueueMessage): void {
    this.out.latin1(m.id + '\n');
  }

  prepare(v: IndexView): void {
    if (v.n > 0) v.ids.get(0); // reads and checks the id column
  }

  row(v: IndexView, r: number): void {
    this.out.latin1(v.ids.get(r) + '\n');
  }

  rows(v: IndexView, from: number, to: number): void {
    for (let r = from; r < to; r++) this.out.latin1(v.ids.get(r) + '\n');
  }

  take(): Buffer[] {
    return this.out.take();
  }
}

export const idLines: Format = {
  name: 'ids',
  fromIndex: true,
  fields: false,
  create: () => new IdLines(),
};
