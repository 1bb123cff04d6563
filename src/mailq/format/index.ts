/** The output formats of a queue listing; the CLI picks one, the reader makes its renderer. */
import { bpText } from './bp-text.js';
import { countOnly } from './count.js';
import { idLines } from './ids.js';
import { ndjsonLines } from './ndjson.js';
import { messageRecords } from './records.js';
import type { Format, FormatName } from './renderer.js';

export { bpText, countOnly, idLines, ndjsonLines, messageRecords };
export type { Format, FormatName, Renderer } from './renderer.js';

/** By name: the JS reader's worker threads are sent the name, not the object. */
export const FORMATS: Record<FormatName, Format> = {
  bp: bpText,
  ids: idLines,
  ndjson: ndjsonLines,
  count: countOnly,
  records: messageRecords,
};
