/** Data types of the mailq module (times in epoch seconds, sizes in bytes). */

export interface Recipient {
  address: string;
  delivered: boolean;
}

/**
 * One queued message as read from its -H file. Strings keep the spool's bytes (latin1-decoded,
 * so every byte round-trips to the exim -bp text); `toJsonMessage` re-decodes them as UTF-8.
 */
export interface QueueMessage {
  id: string;
  /** Received time from -H line 4 (not the id). */
  time: number;
  /** As exim -bp computes it: headers (without `*` ones) + data file - first line + 1; 0 if -D is missing. */
  size: number;
  sender: string;
  recipients: Recipient[];
  frozen: boolean;
  authId?: string;
  phpScript?: string;
  subject?: string;
  /** Set when the -H file could not be read fully; the text is what exim -bp prints for it. */
  error?: string;
  /** 'envelope': nothing but the id is known; 'header': envelope read, headers malformed; 'read': I/O error. */
  errorKind?: 'envelope' | 'header' | 'read';
  /** Login, uid and gid that caused the message to be written (-H line 2). */
  login?: string;
  uid?: number;
  gid?: number;
  senderSetUntrusted?: boolean;
  frozenAt?: number;
  hostAddress?: string;
  hostAuth?: string;
  authSender?: string;
  protocol?: string;
  fromHeader?: string;
  /** Delivered addresses that are not top-level recipients (exim -bpa `+D` lines). */
  extraDelivered?: string[];
  /** Single-character split-spool subdirectory the -H file was found in, '' for input/ itself. */
  subdir: string;
}

export interface SpoolEntry {
  /** Directory holding the -H file (input/ or input/<c>/). */
  dir: string;
  subdir: string;
  name: string;
  hasJournal: boolean;
}
