import type { Command } from 'commander';

/** `hostops ddos`: placeholder until its module lands. */
export function register(_program: Command): void {}
