import type { Command } from 'commander';

/** `hostops capacity`: placeholder until its module lands. */
export function register(_program: Command): void {}
