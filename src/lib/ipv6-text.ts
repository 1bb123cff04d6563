/**
 * RFC 5952 text of an IPv6 address from its eight 16-bit groups: lower-case hex, no leading
 * zeros, the longest run of two or more zero groups (the first one on a tie) written as `::`.
 */
export function ipv6Text(g: readonly number[]): string {
  let bs = -1,
    bl = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bl && j - i >= 2) {
      bs = i;
      bl = j - i;
    }
    i = j;
  }
  const hex = (a: readonly number[]) => a.map((x) => x.toString(16)).join(':');
  return bs < 0 ? hex(g) : `${hex(g.slice(0, bs))}::${hex(g.slice(bs + bl))}`;
}
