/** One message in full: envelope (parsed -H), headers, body (-D without its id line) and msglog. */
import fs from 'node:fs';
import path from 'node:path';
import { HostopsError } from '../lib/errors.js';
import { assertMessageIds } from './ids.js';
import { parseHeaderFile } from './spool-parse.js';
import type { QueueMessage } from './types.js';

export interface ShownMessage {
  message: QueueMessage;
  /** Header lines as stored, `*` (deleted/rewritten) ones excluded. */
  headers: string;
  body: Buffer;
  msglog: string | null;
  files: { header: string; data: string | null; msglog: string | null };
}

/** Look in input/ and input/<6th id char>/, as exim does for a named message. */
function locate(spool: string, sub: string, id: string, suffix: string): string | null {
  for (const dir of [path.join(spool, sub), path.join(spool, sub, id[5])]) {
    const f = path.join(dir, id + suffix);
    if (fs.existsSync(f)) return f;
  }
  return null;
}

export function showMessage(spool: string, id: string): ShownMessage {
  assertMessageIds([id]);
  const hfile = locate(spool, 'input', id, '-H');
  if (!hfile)
    throw new HostopsError('MAILQ_NO_MESSAGE', `message ${id} is not on the queue in ${spool}`, {
      where: spool,
    });
  const dfile = locate(spool, 'input', id, '-D');
  const mfile = locate(spool, 'msglog', id, '');
  const buf = fs.readFileSync(hfile);
  const data = dfile ? fs.readFileSync(dfile) : Buffer.alloc(0);
  const jfile = locate(spool, 'input', id, '-J');
  const p = parseHeaderFile({
    id,
    subdir: path.basename(path.dirname(hfile)) === 'input' ? '' : id[5],
    buf,
    dataSize: dfile ? data.length : -1,
    journal: jfile ? fs.readFileSync(jfile) : undefined,
    wantHeaders: true,
    liveHeadersOnly: true,
  });
  const nl = data.indexOf(10);
  return {
    message: p.msg,
    headers: p.headers,
    body: nl === -1 ? Buffer.alloc(0) : data.subarray(nl + 1),
    msglog: mfile ? fs.readFileSync(mfile, 'latin1') : null,
    files: { header: hfile, data: dfile, msglog: mfile },
  };
}
