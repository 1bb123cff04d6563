/**
 * The typed option table: each command declares its options once here, and the parser (values
 * checked as they are read, every bad one a BAD_OPTION naming the flag), `--help` and
 * docs/options.md are all built from that declaration.
 */
import type { HostopsError } from '../../lib/errors.js';
import type { DurationUnit } from '../../lib/units.js';

export type OptionType =
  /** a whole number in min..max */
  | 'int'
  /** any finite number in min..max */
  | 'number'
  /** lib/units duration ("2s", "500ms", "1h30m"); `unit` is what the command gets, `bare` what a bare number means */
  | 'duration'
  /** lib/units size in bytes ("4096", "10M", "1GiB") */
  | 'size'
  /** lib/units rate in bit/s ("100M", "1Gbit/s") */
  | 'rate'
  /** an IPv4 or IPv6 address */
  | 'address'
  /** an address prefix or range; the module that takes it checks it */
  | 'cidr'
  /** one of `choices` */
  | 'enum'
  /** free text (a file, a host, a name); the module that takes it checks it */
  | 'string'
  /** a switch without a value */
  | 'bool';

export interface OptionSpec {
  /** commander's flags: "-c, --count <n>", "--json", "-s, --size [bytes]", "--no-dns" */
  flags: string;
  type: OptionType;
  /** one line for --help and docs/options.md */
  help: string;
  /** inclusive range, in the unit the command gets (milliseconds for a duration with unit 'ms') */
  min?: number;
  max?: number;
  /** the lower bound is exclusive ("above 0") */
  above?: number;
  /** duration: the unit the command gets (default 'ms') */
  unit?: 's' | 'ms';
  /** duration: the unit of a bare number (default `unit`) */
  bare?: DurationUnit;
  /** size: what an explicit "KB/MB" means (lib/units) */
  kb?: 'si' | 'binary';
  /** enum: the values accepted */
  choices?: readonly string[];
  /** the value the command gets when the flag is not given (already parsed) */
  default?: unknown;
  /** how the default reads in help and docs, when it is not the value itself */
  defaultText?: string;
  /** the classic tool and flag this copies, with its unit: "iputils ping -W (seconds)" */
  copies?: string;
  /** the flag named in errors (default the long flag; copied tools name their short one) */
  name?: string;
  /** what the error says a good value is, when not built from type and range */
  expected?: string;
  /** the error for a bad value, when the command has its own (kept byte for byte) */
  error?: (value: string) => HostopsError;
  /** a grammar of the copied tool (iperf3's K/M/G): the number, or undefined when it does not read */
  read?: (value: string) => number | undefined;
  /** collect each use into an array; 'comma' also splits "a,b" */
  repeat?: boolean | 'comma';
  /** commander's requiredOption */
  mandatory?: boolean;
  /**
   * The value stays text and the command reads it with readOption() when it knows how (ping -s
   * is a size with a number and fping's statistics switch without one).
   */
  lazy?: boolean;
}

/** One command's options, keyed by the name commander gives the value ("--max-ttl" -> maxTtl). */
export type OptionTable = Readonly<Record<string, OptionSpec>>;
