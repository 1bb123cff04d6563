/**
 * What the queue reader hands its output side. The reader (spool-read.ts and the files it
 * calls) finds, parses and selects messages; it yields records and knows no output format. The
 * CLI picks one Format per output (exim -bp text, ids, NDJSON, counts, the messages themselves)
 * and the reader makes its Renderer. A record is either a parsed message or a row of the queue
 * index: the index's compact view (columns, no object per message), which is what keeps a
 * listing from the index as cheap as copying its -bp column.
 */
import type { IndexView } from '../spool-index.js';
import type { QueueMessage } from '../types.js';

export interface Renderer {
  /**
   * A selected message parsed from its -H file. `bpTail` is its -bp text after the age when the
   * reader made that already (the queue index keeps it), so a renderer that needs it does not
   * make it twice.
   */
  message(m: QueueMessage, bpTail: string | undefined): void;
  /** Every parsed message, selected or not, before the selection sees it. */
  parsed?(m: QueueMessage): void;
  /** Reads and checks the index columns `row` and `rows` use: a damaged one throws here, before any output. */
  prepare(v: IndexView): void;
  /** Selected row r of the queue index (a message not read in this run). */
  row(v: IndexView, r: number): void;
  /**
   * Rows from..to-1 of the index, in listing order, all selected, handed over whole: the
   * renderer may write into the view's -bp column (the reader does not read it again).
   */
  rows(v: IndexView, from: number, to: number): void;
  /** Output made so far, in order; the caller may write it out between batches. */
  take(): (string | Buffer)[];
  /** The messages themselves, for a format that collects them (the library's readQueue). */
  records?(): { messages: QueueMessage[]; unreadable: QueueMessage[] };
}

export interface Format {
  /** Its key in FORMATS: the JS reader's worker threads make their renderer from it. */
  readonly name: FormatName;
  /** It renders rows of the queue index (id, envelope, the -bp text), so the index may answer. */
  readonly fromIndex: boolean;
  /** It needs the decoded Subject, X-PHP-Script and From of every message. */
  readonly fields: boolean;
  /** `now`: epoch seconds of the listing, read once (ages). */
  create(now: number): Renderer;
}

export type FormatName = 'bp' | 'ids' | 'ndjson' | 'brief' | 'count' | 'records';

/** Base of the formats that need whole messages: the reader never hands them index rows. */
export abstract class MessagesOnly {
  prepare(): void {}
  row(): void {
    throw new Error('this format does not render queue index rows');
  }
  rows(): void {
    throw new Error('this format does not render queue index rows');
  }
}
