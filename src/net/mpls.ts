/**
 * RFC 4950 MPLS label stack entries as routers quote them in an RFC 4884 ICMP extension
 * (decoded in native/probe/parse.c), and the ways traceroute -e and mtr -e print them.
 */
export interface MplsLabel {
  label: number;
  /** traffic class (the former EXP bits) */
  tc: number;
  /** bottom of stack */
  s: number;
  ttl: number;
}

/** An entry as sent (label<<12 | TC<<9 | S<<8 | TTL) decoded. */
export function mplsLabel(w: number): MplsLabel {
  return { label: Math.floor(w / 4096), tc: (w >> 9) & 7, s: (w >> 8) & 1, ttl: w & 0xff };
}

/** traceroute 2.1 -e: ` <MPLS:L=100,E=0,S=0,T=1/L=200,E=5,S=1,T=2>` after the address. */
export function traceMpls(ls: MplsLabel[]): string {
  return ls.length
    ? ` <MPLS:${ls.map((l) => `L=${l.label},E=${l.tc},S=${l.s},T=${l.ttl}`).join('/')}>`
    : '';
}

/**
 * mtr -e report line of one entry (print_mpls in mtr's report.c). mtr 0.95 prints the S bit with
 * a `%cu` typo (a raw 0x00/0x01 byte and a `u`); this prints the digit, as later mtr does.
 */
export function mtrMplsLine(l: MplsLabel): string {
  return `       [MPLS: Lbl ${l.label} TC ${l.tc} S ${l.s} TTL ${l.ttl}]`;
}
