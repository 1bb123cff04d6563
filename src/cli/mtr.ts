import type { Command } from 'commander';

/** `hostops mtr`: placeholder until its module lands. */
export function register(_program: Command): void {}
