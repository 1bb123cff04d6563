import { randomBytes } from 'node:crypto';
import { COOKIE_ALPHABET, COOKIE_SIZE } from './constants.js';

/** A fresh 37-byte cookie: 36 characters of iperf3's base32 alphabet and a NUL. */
export function makeCookie(): Buffer {
  const rnd = randomBytes(COOKIE_SIZE - 1);
  const out = Buffer.alloc(COOKIE_SIZE);
  for (let i = 0; i < COOKIE_SIZE - 1; i++) out[i] = COOKIE_ALPHABET.charCodeAt(rnd[i] & 31);
  return out;
}

/**
 * A cookie as real clients send it: printable ASCII then a NUL at the end. iperf3 itself only
 * strcmp()s, but anything else on this port is not an iperf3 client and is dropped early.
 */
export function isPlausibleCookie(buf: Buffer): boolean {
  if (buf.length !== COOKIE_SIZE || buf[COOKIE_SIZE - 1] !== 0) return false;
  for (let i = 0; i < COOKIE_SIZE - 1; i++) if (buf[i] < 0x21 || buf[i] > 0x7e) return false;
  return true;
}

export function cookieText(buf: Buffer): string {
  return buf.subarray(0, COOKIE_SIZE - 1).toString('latin1');
}
