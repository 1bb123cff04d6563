/** Scanner and responder namespaces: RANGE is routed `local` to lo in the responder namespace. */
import { runCli } from '../lib/cli.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildProcess } from 'node:child_process';
import { Topology } from '../lib/netns.js';
import type { Rule } from './fixtures/replies.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ampTopology(
  t: Topology,
  base: number,
  range: string,
): { scanner: string; responder: string } {
  const scanner = t.ns('s');
  const responder = t.ns('r');
  t.link(scanner, `198.18.${base}.1/30`, responder, `198.18.${base}.2/30`);
  t.exec(responder, ['ip', 'route', 'add', 'local', range, 'dev', 'lo']);
  t.exec(scanner, ['ip', 'route', 'add', range, 'via', `198.18.${base}.2`]);
  return { scanner, responder };
}

export async function startResponder(
  t: Topology,
  ns: string,
  rules: Rule[],
): Promise<{ proc: ChildProcess; stop(): Promise<any> }> {
  const json = JSON.stringify(rules, (_k, v) =>
    v && v.type === 'Buffer' && Array.isArray(v.data)
      ? { b64: Buffer.from(v.data).toString('base64') }
      : v,
  );
  const proc = t.spawn(ns, [
    process.execPath,
    '--import',
    'tsx',
    path.join(ROOT, 'test/amp/fixtures/responder.ts'),
  ]);
  let out = '',
    err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  proc.stdin!.end(json);
  const deadline = Date.now() + 15000;
  while (!out.includes('ready')) {
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`responder did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    async stop() {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
      const line = out.split('\n').filter(Boolean).at(-1)!;
      try {
        return JSON.parse(line);
      } catch {
        return null;
      }
    },
  };
}

/** Run the built CLI inside a namespace. */
export function cliIn(
  ns: string,
  args: string[],
): { status: number; stdout: string; stderr: string } {
  return runCli(args, { ns });
}
