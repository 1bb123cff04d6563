/** The `exim -bp` text layout, byte for byte (queue.c queue_list, string.c string_format_size). */
import type { QueueMessage } from './types.js';

/** printf("%4.1f") of n/div, rounding an exact tie to even as glibc does. */
function fixed1(n: number, div: number): string {
  const v = (n * 10) / div; // exact: n*10 is an integer and div a power of two
  let r = Math.floor(v);
  const frac = v - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const s = `${Math.floor(r / 10)}.${r % 10}`;
  return s.padStart(4, ' ');
}

/** Always five characters for sizes under 100 GB, as exim prints them. */
export function formatSize(size: number): string {
  if (size === 0) return '     ';
  if (size < 1024) return String(size).padStart(5, ' ');
  if (size < 10 * 1024) return fixed1(size, 1024) + 'K';
  if (size < 1024 * 1024) return String(Math.trunc((size + 512) / 1024)).padStart(4, ' ') + 'K';
  if (size < 10 * 1024 * 1024) return fixed1(size, 1024 * 1024) + 'M';
  return String(Math.trunc((size + 512 * 1024) / (1024 * 1024))).padStart(4, ' ') + 'M';
}

/** Age column with its trailing space: minutes up to 90, hours up to 72, then days. */
export function formatAge(seconds: number): string {
  let i = Math.trunc(seconds / 60);
  if (i > 90) {
    i = Math.trunc((i + 30) / 60);
    if (i > 72) return String(Math.trunc((i + 12) / 24)).padStart(2, ' ') + 'd ';
    return String(i).padStart(2, ' ') + 'h ';
  }
  return String(i).padStart(2, ' ') + 'm ';
}

/**
 * Where the age goes in a -bp block kept for later (the queue index): formatAge is four
 * characters below 100 days, and it is the only part that depends on the time of listing.
 */
export const AGE_SLOT = '????';

/** True when exim -bp prints an age for the message (its envelope was read). */
export const hasAge = (m: QueueMessage): boolean =>
  m.errorKind === undefined || m.errorKind === 'header';

/** Everything exim -bp prints for a message after the age column (it does not depend on now). */
export function formatBpTail(m: QueueMessage): string {
  const envRead = hasAge(m);
  let s = formatSize(m.size) + ' ' + m.id;
  if (envRead) {
    s += ' <' + m.sender + '>';
    if (m.senderSetUntrusted) s += ' (' + (m.login ?? '') + ')';
  }
  if (m.errorKind !== undefined) {
    s += '\n    ' + (m.error ?? '');
    if (m.errorKind !== 'header') return s + '\n\n';
  }
  if (m.frozen) s += ' *** frozen ***';
  s += '\n';
  for (const r of m.recipients) s += (r.delivered ? '        D ' : '          ') + r.address + '\n';
  return s + '\n';
}

/**
 * One message as `exim -bp` prints it (option 0: every top-level recipient, D when delivered).
 * `now` is epoch seconds, read once per listing like exim does.
 */
export function formatBp(m: QueueMessage, now: number): string {
  return (hasAge(m) ? formatAge(now - m.time) : '') + formatBpTail(m);
}
