import type { Command } from 'commander';

/** `hostops ping`: placeholder until its module lands. */
export function register(_program: Command): void {}
