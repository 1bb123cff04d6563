/**
 * Exim message ids: the 16-character form (up to 4.96, `tttttt-pppppp-ss`) and the 23-character
 * form (4.97+, `tttttt-ppppppppppp-ssss`). Both can share one queue.
 */
import { usageError } from '../lib/errors.js';

const ID_RE =
  /^(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{11}-[0-9A-Za-z]{4}|[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2})$/;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function isMessageId(s: string): boolean {
  return ID_RE.test(s);
}

/** Throws a usage error naming the first bad id; ids reach exim's argv only after this. */
export function assertMessageIds(ids: string[]): void {
  for (const id of ids) {
    if (!isMessageId(id)) {
      throw usageError('MAILQ_BAD_ID', `not an Exim message id: ${JSON.stringify(id)}`);
    }
  }
}

/** Spool file names of a header file: 18 (old id) or 25 (new id) characters ending in -H. */
export function isHeaderFileName(name: string): boolean {
  return (
    (name.length === 18 || name.length === 25) &&
    name.charCodeAt(name.length - 2) === 45 /* - */ &&
    name.charCodeAt(name.length - 1) === 72 /* H */
  );
}

/** Epoch seconds encoded in the first six base-62 digits (not the -H time; used for display only). */
export function idTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 6; i++) t = t * 62 + ALPHABET.indexOf(id[i]);
  return t;
}

/**
 * Exim's -bp order: the first six characters (time), then the sub-second field; the pid is
 * ignored. Compares spool file names (`<id>-H`). Ties keep directory order (stable sort).
 */
export function compareSpoolNames(a: string, b: string): number {
  for (let i = 0; i < 6; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d) return d;
  }
  const fa = a.slice(a.length === 25 ? 19 : 14);
  const fb = b.slice(b.length === 25 ? 19 : 14);
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/** A string whose order is compareSpoolNames' order (same-length names). */
export function sortKey(name: string): string {
  return name.slice(0, 6) + name.slice(name.length === 25 ? 19 : 14);
}
