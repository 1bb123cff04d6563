/**
 * MainlogScanner's rules run in C (native/spool/mainlog.c) on raw bytes: no string per line or
 * per field, counts kept in byte-keyed tables and turned into the same ScanState at the end.
 * Used when the hostops_spool addon is built (HOSTOPS_MAILQ_NATIVE=0 forces the JS scanner).
 */
import { spoolAddon } from './spool-addon.js';
import { envError } from '../lib/errors.js';
import {
  newState,
  own,
  printable,
  type Count,
  type ScanOptions,
  type ScanState,
} from './mainlog-scan.js';

interface NativeResult {
  lines: number;
  messages: number;
  recipients: number;
  unknownRecipients: number;
  inbound: number;
  cwdLines: number;
  spoolCwdLines: number;
  garbage: number;
  first?: string;
  last?: string;
  garbageSamples: { line: number; text: string }[];
  truncated: number;
  truncatedSamples: { line: number; text: string }[];
  hourly: (string | number)[];
  senders: (string | number)[];
  authUsers: (string | number)[];
  localUsers: (string | number)[];
  clientIps: (string | number)[];
  smtpIps: (string | number)[];
  cwds: (string | number)[];
}

interface MainlogAddon {
  mlNew(o: ScanOptions): unknown;
  mlFeed(h: unknown, buf: Buffer, start: number, end: number): void;
  mlResult(h: unknown): NativeResult;
}

/** The addon throws only when its tables cannot grow: an environment error, not a bug (exit 3). */
function outOfMemory(e: unknown): Error {
  return envError(
    'MAILQ_OUT_OF_MEMORY',
    `the native mainlog scanner failed: ${(e as Error).message}`,
    'free memory, narrow the window with --since/--until, or run with HOSTOPS_MAILQ_NATIVE=0',
  );
}

/** Same interface as MainlogScanner, but fed with bytes. */
export class NativeMainlogScanner {
  private readonly h: unknown;
  constructor(
    private readonly a: MainlogAddon,
    o: ScanOptions,
  ) {
    try {
      this.h = a.mlNew(o);
    } catch (e) {
      throw outOfMemory(e);
    }
  }

  /** Bytes [start, end) of buf: whole lines (or the file's unterminated tail). */
  feedBytes(buf: Buffer, start: number, end: number): void {
    try {
      this.a.mlFeed(this.h, buf, start, end);
    } catch (e) {
      throw outOfMemory(e);
    }
  }

  result(): ScanState {
    const r = this.a.mlResult(this.h);
    const st = newState();
    st.lines = r.lines;
    st.messages = r.messages;
    st.recipients = r.recipients;
    st.unknownRecipients = r.unknownRecipients;
    st.inbound = r.inbound;
    st.cwdLines = r.cwdLines;
    st.spoolCwdLines = r.spoolCwdLines;
    st.garbage = r.garbage;
    if (r.first !== undefined) st.first = r.first;
    if (r.last !== undefined) st.last = r.last;
    st.garbageSamples = r.garbageSamples.map((g) => ({
      line: g.line,
      text: own(printable(g.text)),
    }));
    st.truncated = r.truncated;
    st.truncatedSamples = r.truncatedSamples.map((g) => ({
      line: g.line,
      text: own(printable(g.text)),
    }));
    const counts = (flat: (string | number)[], into: Map<string, Count>) => {
      for (let i = 0; i < flat.length; i += 3)
        into.set(flat[i] as string, {
          messages: flat[i + 1] as number,
          recipients: flat[i + 2] as number,
        });
    };
    counts(r.hourly, st.hourly);
    counts(r.senders, st.senders);
    counts(r.authUsers, st.authUsers);
    counts(r.localUsers, st.localUsers);
    counts(r.clientIps, st.clientIps);
    counts(r.smtpIps, st.smtpIps);
    for (let i = 0; i < r.cwds.length; i += 4) {
      st.cwds.set(r.cwds[i] as string, {
        invocations: r.cwds[i + 1] as number,
        submissions: r.cwds[i + 2] as number,
        admin: r.cwds[i + 3] as number,
      });
    }
    return st;
  }
}

/** A native scanner, or null when the addon is missing or disabled. */
export function nativeMainlogScanner(o: ScanOptions): NativeMainlogScanner | null {
  const a = spoolAddon() as unknown as MainlogAddon | null;
  return a ? new NativeMainlogScanner(a, o) : null;
}
