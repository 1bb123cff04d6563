/** Edge helpers for writing results; modules never print. */
import { Writable } from 'node:stream';
import { readlinkSync, fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { HostopsError } from './errors.js';

/** Write one JSON document followed by a newline. */
export function printJson(value: unknown, out: Writable = process.stdout): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}

/** Write one NDJSON record (streams of results). */
export function printNdjson(value: unknown, out: Writable = process.stdout): void {
  out.write(JSON.stringify(value) + '\n');
}

/** True when progress bars and colours may be drawn. */
export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/** What a standard stream's descriptor points at (a file path, /dev/full, pipe:[..]), for messages. */
export function streamTarget(stream: NodeJS.WriteStream): string {
  const fd = (stream as { fd?: number }).fd ?? 1;
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return fd === 2 ? 'standard error' : 'standard output';
  }
}

const WRITE_HINTS: Record<string, string> = {
  ENOSPC: 'the file system is full: free space, or write the output somewhere else',
  EFBIG: 'the file is larger than this process may write (ulimit -f) or the file system allows',
  EDQUOT: 'the disk quota is used up: free space, or write the output somewhere else',
  EIO: 'the device reported an I/O error: check it (dmesg)',
};

/** A failed write of the command's output (ENOSPC, EFBIG, EIO...): an environment error, exit 3. */
export function outputWriteError(
  stream: NodeJS.WriteStream,
  e: NodeJS.ErrnoException,
): HostopsError {
  const target = streamTarget(stream);
  // node's text is "ENOSPC: no space left on device, write": the reason alone is kept
  const reason = e.message.replace(/^[A-Z0-9_]+: /, '').replace(/, write$/, '');
  return new HostopsError(
    'OUTPUT_WRITE_FAILED',
    `cannot write the output to ${target}: ${e.code ? `${e.code} (${reason})` : reason}`,
    {
      where: target,
      cause: e,
      hint:
        WRITE_HINTS[e.code ?? ''] ??
        'check where the output goes (disk space, file size limit, device)',
    },
  );
}

/** True when writes to the stream are fs.writeSync calls on a file or device (Node's SyncWriteStream). */
function fileLike(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() || (st.isCharacterDevice() && !isatty(fd));
  } catch {
    return false;
  }
}
const fileLikeFd = new Map<number, boolean>();

/**
 * Writes all of data to a standard stream. Node's stream for a file or device calls writeSync
 * once and drops what a short write left (a file size limit, a disk filling up): here the rest
 * is written until the kernel reports why it cannot (EFBIG, ENOSPC), and that is thrown as
 * OUTPUT_WRITE_FAILED. Pipes and terminals go through the stream (with its backpressure).
 */
export function writeAll(stream: NodeJS.WriteStream, data: Buffer): Promise<void> {
  if (data.length === 0) return Promise.resolve();
  const fd = (stream as { fd?: number }).fd;
  if (fd !== undefined) {
    let file = fileLikeFd.get(fd);
    if (file === undefined) fileLikeFd.set(fd, (file = fileLike(fd)));
    if (file) {
      try {
        for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      } catch (e) {
        throw outputWriteError(stream, e as NodeJS.ErrnoException);
      }
      return Promise.resolve();
    }
  }
  return new Promise<void>((resolve) =>
    stream.write(data) ? resolve() : stream.once('drain', () => resolve()),
  );
}
