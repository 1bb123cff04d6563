/** Worker thread entry: scans one byte range of a mainlog. */
import { parentPort } from 'node:worker_threads';
import { scanRange } from './mainlog-read.js';
import type { ScanOptions } from './mainlog-scan.js';

parentPort!.on('message', (m: { file: string; start: number; end: number; o: ScanOptions }) => {
  try {
    parentPort!.postMessage({ ok: scanRange(m.file, m.start, m.end, m.o) });
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
