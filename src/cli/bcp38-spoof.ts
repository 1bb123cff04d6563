import type { Command } from 'commander';

/** `bcp38 listen` and `bcp38 spooftest` (filled in with the raw-socket addon). */
export function registerSpoof(_bcp38: Command): void {}
