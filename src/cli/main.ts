/**
 * Entry point of the `hostops` command. Each command group lives in its own file and exports
 * `register(program)`; this file only wires them together and turns errors into exit codes.
 */
import type { ErrorCode } from '../lib/errors.js';
import { endOnOutputError } from './output-errors.js';
import { Command, CommanderError, Help } from 'commander';
import { applyOptions, specOf, type OptionTable } from './options/index.js';
import { HostopsError, isHostopsError } from '../lib/errors.js';
import { VERSION } from '../lib/version.js';

/** Command groups, each in src/cli/<name>.ts exporting register(program). */
const GROUPS = [
  'mailq',
  'ping',
  'traceroute',
  'mtr',
  'iperf',
  'ntp',
  'amp',
  'bcp38',
  'ddos',
  'capacity',
  'serve',
  'doctor',
  'probe',
  'fleet',
] as const;
type Group = (typeof GROUPS)[number];
type Register = (program: Command) => void;

/**
 * The group a command line names (first word that is not an option), if any. Only that group's
 * modules are loaded: loading every group costs about 0.25 s at start-up, which a one-shot
 * command like `mailq count` pays in full.
 */
export function groupOf(argv: string[]): Group | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return GROUPS.find((g) => g === word);
}

const ROOT_OPTIONS: OptionTable = {
  debug: { flags: '--debug', type: 'bool', help: 'show stack traces on errors' },
};

export async function buildProgram(only?: Group): Promise<Command> {
  const program = new Command('hostops')
    .description(
      'Mail queue, latency, throughput, amplification and capacity tools for hosting platforms',
    )
    .version(VERSION);
  applyOptions(program, ROOT_OPTIONS)
    .showSuggestionAfterError()
    // a table's help line already holds its type, range and default
    .configureHelp({
      optionDescription: (o) =>
        specOf(o) ? o.description : Help.prototype.optionDescription.call(new Help(), o),
    })
    // commander's own usage errors are printed by reportError (hostops: / hint: / code:), not by commander
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  const names = only ? [only] : GROUPS;
  const mods = await Promise.all(
    names.map((g) => import(`./${g}.js`) as Promise<{ register: Register }>),
  );
  for (const m of mods) m.register(program);
  return program;
}

/** Exit code of an unexpected failure (sysexits' EX_SOFTWARE). */
export const INTERNAL_ERROR_EXIT = 70;

/** The flags that ask a group for JSON output (mtr -j and iperf -J follow the tools they replace). */
const JSON_FLAGS: Partial<Record<Group, string[]>> = { mtr: ['-j'], iperf: ['-J'] };

export function wantsJson(argv: string[], group: Group | undefined): boolean {
  const flags = ['--json', ...((group && JSON_FLAGS[group]) ?? [])];
  return argv.some((a) => flags.includes(a));
}

/** Print an error for a person; exit code per the convention (2 usage, 3 environment, 1 finding, 70 bug). */
export function reportError(e: unknown, debug: boolean, json = false): number {
  if (isHostopsError(e)) {
    if (json) process.stderr.write(JSON.stringify({ error: e.toJSON() }) + '\n');
    else {
      process.stderr.write(`hostops: ${e.message}${e.where ? ` (${e.where})` : ''}\n`);
      if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
      process.stderr.write(`  code: ${e.code}\n`);
    }
    if (debug && e.stack) process.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && (err.code === 'EACCES' || err.code === 'EPERM')) {
    process.stderr.write(
      `hostops: permission denied: ${err.message}\n  hint: run as root or grant the capability named above\n`,
    );
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    return 3;
  }
  // a bug, not a finding: 1 would tell a script "the check ran and found a problem"
  const bug = new HostopsError('INTERNAL_ERROR', `internal error: ${err?.message ?? String(e)}`, {
    cause: e,
  });
  if (json) process.stderr.write(JSON.stringify({ error: bug.toJSON() }) + '\n');
  else {
    process.stderr.write(`hostops: ${bug.message}\n`);
    if (debug && err?.stack) process.stderr.write(err.stack + '\n');
    else process.stderr.write(`  hint: ${bug.hint}\n`);
    process.stderr.write(`  code: ${bug.code}\n`);
  }
  return INTERNAL_ERROR_EXIT;
}

/** Codes of commander's usage errors (CommanderError.code); all exit 2. */
const COMMANDER_CODES: Record<string, ErrorCode> = {
  'commander.unknownOption': 'USAGE_UNKNOWN_OPTION',
  'commander.unknownCommand': 'USAGE_UNKNOWN_COMMAND',
  'commander.missingArgument': 'USAGE_MISSING_ARGUMENT',
  'commander.optionMissingArgument': 'USAGE_MISSING_OPTION_VALUE',
  'commander.missingMandatoryOptionValue': 'USAGE_MISSING_OPTION',
  'commander.excessArguments': 'USAGE_EXCESS_ARGUMENTS',
  'commander.conflictingOption': 'USAGE_CONFLICTING_OPTIONS',
  'commander.invalidArgument': 'USAGE_INVALID_ARGUMENT',
};

/**
 * A commander usage error as a HostopsError: commander's "error: " prefix goes, and its
 * "(Did you mean ...?)" line becomes the hint.
 */
export function usageErrorOf(e: CommanderError): HostopsError {
  const [first, ...rest] = e.message.replace(/^error: /, '').split('\n');
  const suggestion = /^\((Did you mean .*)\)$/.exec(rest.join(' ').trim())?.[1];
  const message = suggestion ? first : [first, ...rest].join('\n');
  return new HostopsError(
    COMMANDER_CODES[e.code] ?? 'USAGE_ERROR',
    message,
    suggestion ? { hint: suggestion } : {},
  );
}

/**
 * Bare `hostops mailq` (or `hostops mailq --spool DIR`) lists the queue, as `mailq` does: insert
 * `list` when no subcommand follows. `hostops mailq --help` still shows the group's help.
 */
export function withDefaultSubcommand(argv: string[]): string[] {
  const i = argv.indexOf('mailq', 2);
  if (i < 0 || groupOf(argv) !== 'mailq') return argv;
  const next = argv[i + 1];
  if (next !== undefined && (!next.startsWith('-') || next === '-h' || next === '--help'))
    return argv;
  return [...argv.slice(0, i + 1), 'list', ...argv.slice(i + 1)];
}

export async function main(argv0: string[]): Promise<number> {
  const argv = withDefaultSubcommand(argv0);
  const args = argv.slice(2);
  // scripts ask for the version often: answer without loading every command group
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const group = groupOf(argv);
  // a one-shot command whose output cannot be written stops there (the agent logs and goes on)
  if (group !== 'serve') endOnOutputError();
  const program = await buildProgram(group);
  const debug = argv.includes('--debug');
  const json = wantsJson(argv, group);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit with 0; a group without its subcommand has had its help printed
      if (e.exitCode === 0 || e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
      return reportError(usageErrorOf(e), debug, json);
    }
    return reportError(e, debug, json);
  }
}

export { HostopsError };
