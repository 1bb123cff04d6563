import type { Command } from 'commander';

/** `hostops mailq`: placeholder until its module lands. */
export function register(_program: Command): void {}
