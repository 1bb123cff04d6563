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
  // longest run of zero groups (length >= 2) becomes ::
  let bs = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bs < 0) return hex(g);
  return `${hex(g.slice(0, bs))}::${hex(g.slice(bs + bl))}`;
}
