/**
 * The messages themselves (readQueue: summary, watch, rm/freeze/thaw/deliver, the named-id
 * listing), with apart from them every message whose -H cannot be read, selected or not: no
 * selection but an id matches one, and a bulk action must not touch it unasked.
 */
import { isUnreadable } from '../select.js';
import type { QueueMessage } from '../types.js';
import { MessagesOnly, type Format, type Renderer } from './renderer.js';

class Records extends MessagesOnly implements Renderer {
  private readonly messages: QueueMessage[] = [];
  private readonly unreadable: QueueMessage[] = [];

  parsed(m: QueueMessage): void {
    if (isUnreadable(m)) this.unreadable.push(m);
  }

  message(m: QueueMessage): void {
    this.messages.push(m);
  }

  take(): never[] {
    return [];
  }

  records() {
    return { messages: this.messages, unreadable: this.unreadable };
  }
}

export const messageRecords: Format = {
  name: 'records',
  fromIndex: false,
  fields: true,
  create: () => new Records(),
};
