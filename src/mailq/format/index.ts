/** The output formats of a queue listing; the CLI picks one, the reader makes its renderer. */
import { bpText } from './bp-text.js';
import { briefLines } from './brief.js';
import { countOnly } from './count.js';
import { idLines } from './ids.js';
import { ndjsonLines } from './ndjson.js';
import { messageRecords } from './records.js';
import type { Format, FormatName } from './renderer.js';
import type { QueueMessage } from '../types.js';

export { bpText, briefLines, countOnly, idLines, ndjsonLines, messageRecords };
export type { Format, FormatName, Renderer } from './renderer.js';

/** By name: the JS reader's worker threads are sent the name, not the object. */
export const FORMATS: Record<FormatName, Format> = {
  bp: bpText,
  ids: idLines,
  ndjson: ndjsonLines,
  brief: briefLines,
  count: countOnly,
  records: messageRecords,
};

/** Messages already read (readQueue, in the caller's order) rendered in `format`. */
export function renderMessages(
  format: Format,
  messages: QueueMessage[],
  now: number,
): (string | Buffer)[] {
  const r = format.create(now);
  for (const m of messages) r.message(m, undefined);
  return r.take();
}
