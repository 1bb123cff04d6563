import type { Command } from 'commander';

/** `hostops bcp38`: placeholder until its module lands. */
export function register(_program: Command): void {}
