/** Worker thread entry: parses the chunk of spool entries it is sent. */
import { parentPort } from 'node:worker_threads';
import { readChunk, type ChunkRequest } from './spool-chunk.js';

parentPort!.on('message', (req: ChunkRequest) => {
  try {
    parentPort!.postMessage({ ok: readChunk(req) });
  } catch (e) {
    parentPort!.postMessage({
      error: { message: (e as Error).message, code: (e as NodeJS.ErrnoException).code },
    });
  }
});
