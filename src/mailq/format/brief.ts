/** exiqgrep -b: `<id> From: <sender> To: a;b`, the undelivered recipients. */
import { OutBuffer } from '../out-buffer.js';
import type { QueueMessage } from '../types.js';
import { MessagesOnly, type Format, type Renderer } from './renderer.js';

class BriefLines extends MessagesOnly implements Renderer {
  private readonly out = new OutBuffer();

  message(m: QueueMessage): void {
    let to = '';
    for (const r of m.recipients) if (!r.delivered) to += (to ? ';' : '') + r.address;
    this.out.latin1(`${m.id} From: <${m.sender}> To: ${to}\n`);
  }

  take(): Buffer[] {
    return this.out.take();
  }
}

export const briefLines: Format = {
  name: 'brief',
  fromIndex: false,
  fields: false,
  create: () => new BriefLines(),
};
