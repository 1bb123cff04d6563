import type { Command } from 'commander';

/** `hostops ntp`: placeholder until its module lands. */
export function register(_program: Command): void {}
