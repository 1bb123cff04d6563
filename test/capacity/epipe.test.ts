import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FIX } from './helpers.js';

// `hostops ... | head -1`: the reader is gone before the command writes; the command must end
// quietly (as a C tool dies of SIGPIPE), not with "Unhandled 'error' event ... EPIPE" and a stack
const readerGone = (args: string[]) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['bin/hostops.js', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.stdout.destroy();
    p.on('exit', (code) => resolve({ code, stderr }));
  });

test('capacity output into a closed pipe ends quietly (same hook on ntp, amp and bcp38)', async () => {
  const big = Array.from({ length: 4 }, () => path.join(FIX, 'snmp-poll.txt'));
  for (const args of [
    ['capacity', 'advise', ...big, '--json'],
    ['capacity', 'contention', path.join(FIX, 'seed-switch.yaml'), '--json'],
  ]) {
    const r = await readerGone(args);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled|\n\s+at /, `${args.join(' ')}: ${r.stderr}`);
  }
});
