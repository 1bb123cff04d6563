/**
 * The one error type of hostops. `code` is stable (scripts match on it), `message` is for a
 * person, `hint` says what to do next, `exitCode` follows the convention in docs/ARCHITECTURE.md:
 * 1 the command ran and found a problem, 2 usage or input error, 3 environment error, 70 a bug.
 *
 * Every code is declared once in src/lib/error-codes.ts with its exit code, meaning, default hint
 * and message template (docs/errors.md is generated from that table). A HostopsError built with a
 * registered code takes the exit code and hint from there unless the call site gives its own.
 */
import { CODES, type ErrorCode } from './error-codes.js';

export type ExitCode = 1 | 2 | 3 | 70;
export type { ErrorCode };

export interface HostopsErrorOptions {
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  /** File, line, peer or byte offset the error is about, when there is one. */
  where?: string;
}

/** One registry entry: what docs/errors.md shows, and what a throw takes by default. */
export interface ErrorSpec {
  exitCode: ExitCode;
  /** One line for docs/errors.md: when the code is raised. */
  meaning: string;
  hint?: string;
  /** Builds the message from the parameters `HostopsError.of` passes. */
  message: (...args: never[]) => string;
}

/** The message parameters of a registered code. */
export type MessageArgs<C extends ErrorCode> = Parameters<(typeof CODES)[C]['message']>;

const specs = CODES as unknown as Record<string, ErrorSpec | undefined>;

/** The registry entry of a code, if it is registered. */
export function errorSpec(code: string): ErrorSpec | undefined {
  return Object.hasOwn(specs, code) ? specs[code] : undefined;
}

export class HostopsError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  where?: string;

  constructor(code: ErrorCode | (string & {}), message: string, opts: HostopsErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    const spec = errorSpec(code);
    this.code = code;
    this.hint = opts.hint ?? spec?.hint;
    this.exitCode = opts.exitCode ?? spec?.exitCode ?? 2;
    this.where = opts.where;
  }

  /** A registered code with its message built from the registry's template: `throw HostopsError.of('BAD_OPTION', '-c', v, 'an integer 1..10')`. */
  static of<C extends ErrorCode>(code: C, ...args: MessageArgs<C>): HostopsError {
    const make = CODES[code].message as (...a: MessageArgs<C>) => string;
    return new HostopsError(code, make(...args));
  }

  /** Names the file, line, peer or offset the error is about; returns the error for `throw`. */
  at(where: string | undefined): this {
    this.where = where;
    return this;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, where: this.where };
  }
}

Object.defineProperty(HostopsError.prototype, 'name', { value: 'HostopsError' });

export const usageError = (code: ErrorCode | (string & {}), message: string, hint?: string) =>
  new HostopsError(code, message, { hint, exitCode: 2 });

export const envError = (code: ErrorCode | (string & {}), message: string, hint?: string) =>
  new HostopsError(code, message, { hint, exitCode: 3 });

export function isHostopsError(e: unknown): e is HostopsError {
  return e instanceof HostopsError;
}
