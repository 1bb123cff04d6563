/** One JSON object per line (json.ts: spool bytes re-decoded as UTF-8), as UTF-8 strings. */
import { toJsonMessage } from '../json.js';
import type { QueueMessage } from '../types.js';
import { MessagesOnly, type Format, type Renderer } from './renderer.js';

class NdjsonLines extends MessagesOnly implements Renderer {
  // flat strings joined per 1000 objects (`text +=` would keep a cons-string node per piece alive)
  private readonly parts: string[] = [];
  private batch: string[] = [];

  message(m: QueueMessage): void {
    this.batch.push(JSON.stringify(toJsonMessage(m)) + '\n');
    if (this.batch.length === 1000) this.flush();
  }

  private flush(): void {
    if (this.batch.length) {
      this.parts.push(this.batch.join(''));
      this.batch = [];
    }
  }

  take(): string[] {
    this.flush();
    return this.parts.splice(0);
  }
}

export const ndjsonLines: Format = {
  name: 'ndjson',
  fromIndex: false,
  fields: true,
  create: () => new NdjsonLines(),
};
