/**
 * Spoof-test wire format. Probes are UDP datagrams whose payload is one ASCII line:
 *   HOB38 1 <session: 16 hex> <id: decimal> <label>
 * The control exchange is TCP on the same port, one JSON line each way:
 *   {"op":"hello"}                 -> {"ok":true,"version":1,"observed":"<client address as seen>"}
 *   {"op":"results","session":S}   -> {"ok":true,"session":S,"received":[ProbeRecord...]}
 */
export const MAGIC = 'HOB38';
export const VERSION = 1;
export const DEFAULT_PORT = 3838;
export const MAX_LINE = 1024;

export interface ProbeRecord {
  id: number;
  label: string;
  /** Source address the listener saw (the forged one when spoofing got through). */
  source: string;
  sourcePort: number;
  /** Listener clock, epoch seconds. */
  at: number;
}

const SESSION = /^[0-9a-f]{16}$/;
const LABEL = /^[A-Za-z0-9_.:-]{1,40}$/;

export function isSession(s: unknown): s is string {
  return typeof s === 'string' && SESSION.test(s);
}
export function isLabel(s: string): boolean {
  return LABEL.test(s);
}

export function encodeProbe(session: string, id: number, label: string): Buffer {
  return Buffer.from(`${MAGIC} ${VERSION} ${session} ${id} ${label}\n`, 'ascii');
}

export function decodeProbe(b: Buffer): { session: string; id: number; label: string } | null {
  if (b.length > 128 || b.length < 10) return null;
  const m = /^HOB38 1 ([0-9a-f]{16}) (\d{1,6}) ([A-Za-z0-9_.:-]{1,40})\n?$/.exec(
    b.toString('latin1'),
  );
  return m ? { session: m[1], id: Number(m[2]), label: m[3] } : null;
}
