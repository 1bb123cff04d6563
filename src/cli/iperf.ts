import type { Command } from 'commander';

/** `hostops iperf`: placeholder until its module lands. */
export function register(_program: Command): void {}
