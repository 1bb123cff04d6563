import type { Command } from 'commander';

/** `hostops amp`: placeholder until its module lands. */
export function register(_program: Command): void {}
