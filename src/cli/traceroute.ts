import type { Command } from 'commander';

/** `hostops traceroute`: placeholder until its module lands. */
export function register(_program: Command): void {}
