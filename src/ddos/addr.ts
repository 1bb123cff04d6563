import { ipv6Text } from '../lib/ipv6-text.js';

/** Addresses as four u32 words: IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so one key fits both. */
export function isV4Words(w: ArrayLike<number>, o = 0): boolean {
  return w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff;
}

export function formatWords(w: ArrayLike<number>, o = 0): string {
  if (isV4Words(w, o)) {
    const a = w[o + 3];
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(w[o + i] >>> 16, w[o + i] & 0xffff);
  return ipv6Text(g);
}
