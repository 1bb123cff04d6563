/** Loader of the hostops_spool addon (kept small: mainlog worker threads import it too). */
import { loadAddon } from '../lib/native.js';

export interface SpoolScan {
  handle: unknown;
  count: number;
  /** The -H names concatenated (latin1), lengths in nameLen. */
  names: string;
  nameLen: Uint8Array;
  /** Char code of the split-spool subdirectory, 0 for input/. */
  subdir: Uint8Array;
  journal: Uint8Array;
}

export interface SpoolAddon {
  scan(inputDir: string): SpoolScan;
  count(inputDir: string): number;
  /** Entries start..end of the scan, or with pick the entries pick[start..end). */
  readBatch(
    handle: unknown,
    start: number,
    end: number,
    threads?: number,
    pick?: Uint32Array,
  ): Promise<{ data: Buffer; meta: Float64Array }>;
  release(handle: unknown): void;
  /** True when every listed -H file (`<c>/<name>` lines) still has the recorded inode, ctime and size. */
  verify(inputDir: string, list: Buffer, expect: Float64Array, rows: number): Promise<boolean>;
  /** The same check per row: 1 where the file is unchanged (rows with a negative inode get 0). */
  verify(
    inputDir: string,
    list: Buffer,
    expect: Float64Array,
    rows: number,
    each: true,
  ): Promise<Uint8Array>;
  FIELDS: number;
}

let addon: SpoolAddon | null | undefined;

/** The addon, or null when it is not built or HOSTOPS_MAILQ_NATIVE=0. */
export function spoolAddon(): SpoolAddon | null {
  if (addon === undefined) {
    if (process.env.HOSTOPS_MAILQ_NATIVE === '0') return (addon = null);
    try {
      addon = loadAddon<SpoolAddon>('hostops_spool');
    } catch {
      addon = null;
    }
  }
  return addon;
}
