/** Nothing but the reader's counts (selected and seen): exiqgrep -c, a selected exim -bpc. */
import type { Format, Renderer } from './renderer.js';

class CountOnly implements Renderer {
  message(): void {}
  prepare(): void {}
  row(): void {}
  rows(): void {}
  take(): never[] {
    return [];
  }
}

export const countOnly: Format = {
  name: 'count',
  fromIndex: true,
  fields: false,
  create: () => new CountOnly(),
};
