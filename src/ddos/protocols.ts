/**
 * UDP services abused as reflectors/amplifiers, keyed by the source port their replies carry:
 * the catalogue in src/amp/catalogue.ts. Index 0 of portTable is reserved for "not an amplifier port".
 */
import { AMPLIFIERS } from '../amp/catalogue.js';

export interface Reflector {
  port: number;
  name: string;
  note: string;
}

export const REFLECTORS: readonly Reflector[] = AMPLIFIERS.map(({ port, name, note }) => ({
  port,
  name,
  note,
}));

/** port -> 1 + index in REFLECTORS, 0 when the port is not an amplifier port. */
export function portTable(reflectors: readonly Reflector[] = REFLECTORS): Uint8Array {
  const t = new Uint8Array(65536);
  reflectors.forEach((r, i) => {
    t[r.port] = i + 1;
  });
  return t;
}
