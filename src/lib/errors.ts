/**
 * The one error type of hostops. `code` is stable (scripts match on it), `message` is for a
 * person, `hint` says what to do next, `exitCode` follows the convention in docs/ARCHITECTURE.md:
 * 1 the command ran and found a problem, 2 usage or input error, 3 environment error.
 */
export type ExitCode = 1 | 2 | 3;

export interface HostopsErrorOptions {
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  /** File, line, peer or byte offset the error is about, when there is one. */
  where?: string;
}

export class HostopsError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  readonly where?: string;

  constructor(code: string, message: string, opts: HostopsErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 2;
    this.where = opts.where;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, where: this.where };
  }
}

Object.defineProperty(HostopsError.prototype, 'name', { value: 'HostopsError' });

export const usageError = (code: string, message: string, hint?: string) =>
  new HostopsError(code, message, { hint, exitCode: 2 });

export const envError = (code: string, message: string, hint?: string) =>
  new HostopsError(code, message, { hint, exitCode: 3 });

export function isHostopsError(e: unknown): e is HostopsError {
  return e instanceof HostopsError;
}
