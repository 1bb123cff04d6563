/** Edge helpers for writing results; modules never print. */
import { Writable } from 'node:stream';

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
