/** iperf3's unit_snprintf: 4 significant places, 1024-based for bytes ('A'), 1000-based for bits ('a'). */
const BYTE_LABELS = ['Byte', 'KByte', 'MByte', 'GByte', 'TByte'];
const BIT_LABELS = ['bit', 'Kbit', 'Mbit', 'Gbit', 'Tbit'];

/** iperf3 -f: a=adaptive bits, A=adaptive bytes, k/m/g/t bits, K/M/G/T bytes (fixed unit). */
export type UnitFormat = 'A' | 'a' | 'K' | 'M' | 'G' | 'T' | 'k' | 'm' | 'g' | 't';
export const UNIT_FORMATS = 'aAkmgtKMGT';

export function formatUnit(value: number, format: UnitFormat = 'A'): string {
  const bits = format === format.toLowerCase();
  let n = bits ? value * 8 : value;
  const base = bits ? 1000 : 1024;
  let conv = 0;
  const fixed = { k: 1, m: 2, g: 3, t: 4 }[format.toLowerCase() as 'k' | 'm' | 'g' | 't'];
  if (fixed !== undefined) {
    conv = fixed;
    n /= base ** conv;
  } else {
    while (n >= base && conv < 4) {
      n /= base;
      conv++;
    }
  }
  const label = (bits ? BIT_LABELS : BYTE_LABELS)[conv];
  const digits = n < 9.995 ? 2 : n < 99.95 ? 1 : 0;
  return `${n.toFixed(digits).padStart(4)} ${label}`;
}

/** Parse iperf-style sizes and rates: 10M, 1.5G, 128K (K/M/G = 1024 for sizes, 1000 for rates). */
export function parseSize(text: string, kind: 'bytes' | 'rate'): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)$/.exec(text.trim());
  if (!m) return NaN;
  const base = kind === 'rate' ? 1000 : 1024;
  const pow = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * base ** pow);
}
