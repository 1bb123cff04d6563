import type { Command } from 'commander';

/** `hostops serve`: placeholder until its module lands. */
export function register(_program: Command): void {}
