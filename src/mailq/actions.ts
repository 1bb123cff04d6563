/**
 * Queue actions through the exim binary (-Mrm, -Mf, -Mt, -M): exim takes its fcntl lock on the
 * -D file, so a message being delivered is reported as locked and left alone, never forced.
 * Ids are validated before they reach argv; no shell is involved.
 */
import { spawn } from 'node:child_process';
import { HostopsError } from '../lib/errors.js';
import { assertMessageIds } from './ids.js';
import { findExim } from './paths.js';
import { auditPath, openAudit, writeAudit } from './audit.js';
import fs from 'node:fs';

export type ActionName = 'rm' | 'freeze' | 'thaw' | 'deliver';

/** Per-id outcome: done; noop (already in that state); locked; missing; failed (see detail). */
export type ActionStatus = 'done' | 'noop' | 'locked' | 'missing' | 'failed';

export interface ActionResult {
  id: string;
  status: ActionStatus;
  detail: string;
}

export interface ActionOptions {
  exim?: string;
  eximArgs?: string[];
  /** Ids per exim invocation; default: as many as fit the argv budget, spread over the jobs. */
  batchSize?: number;
  /** exim processes at once on distinct batches (default 2 for rm/freeze/thaw, 1 for deliver). */
  jobs?: number;
  auditLog?: string;
  /** Recorded in the audit log. */
  selection?: unknown;
  onBatch?: (done: number, total: number) => void;
  /** Messages exim has answered for so far (one call per answer line), for a progress bar. */
  onProgress?: (answered: number, total: number) => void;
}

/**
 * Argument bytes one exim run may take: xargs' default command-line budget. Linux allows more
 * (ARG_MAX is a quarter of the stack limit, 2 MB by default), but this is what the shell
 * one-liner uses and it already makes start-ups a small part of the time.
 */
export const ARGV_BUDGET = 128 * 1024;

/**
 * Splits ids into batches. An explicit size is kept as given. Otherwise each batch holds as many
 * ids as fit in ARGV_BUDGET (after exim's own arguments and the environment), and no more than
 * a quarter of each job's share, so the jobs stay balanced and every few thousand messages reach
 * the audit log.
 */
export function planBatches(
  ids: string[],
  fixedArgv: string[],
  jobs: number,
  size?: number,
): string[][] {
  const out: string[][] = [];
  if (size && size > 0) {
    for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
    return out;
  }
  let envBytes = 0;
  for (const [k, v] of Object.entries(process.env)) envBytes += k.length + (v?.length ?? 0) + 2 + 8;
  const budget = Math.max(
    4096,
    ARGV_BUDGET - envBytes - fixedArgv.reduce((a, s) => a + s.length + 1 + 8, 0),
  );
  const cap = Math.max(100, Math.ceil(ids.length / (jobs * 4)));
  let cur: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const b = id.length + 1 + 8; // the string, its NUL and its argv pointer
    if (cur.length && (bytes + b > budget || cur.length >= cap)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(id);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Words that may be message ids (both id lengths; classify() keeps only the batch's). */
const ID_WORDS =
  /[0-9A-Za-z]{6}-[0-9A-Za-z]{6}(?:[0-9A-Za-z]{5})?-[0-9A-Za-z]{2}(?:[0-9A-Za-z]{2})?/g;

const FLAG: Record<ActionName, string> = { rm: '-Mrm', freeze: '-Mf', thaw: '-Mt', deliver: '-M' };

/** Runs exim; onLines gets the number of complete output lines as they arrive (progress). */
function runExim(
  exim: string,
  argv: string[],
  onLines?: (n: number) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(exim, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lines = (d: string) => {
      let n = 0;
      for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) n++;
      if (n) onLines?.(n);
    };
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      lines(d);
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      lines(d);
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Classify exim's per-message lines (queue.c queue_action) into one result per id. */
export function classify(
  action: ActionName,
  ids: string[],
  stdout: string,
  stderr: string,
  code: number,
): ActionResult[] {
  // each line goes to the ids it names (one lookup per id-shaped word, not a scan per id)
  const byId = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const line of (stdout + '\n' + stderr).split('\n')) {
    const seen = new Set<string>();
    for (const w of line.match(ID_WORDS) ?? []) {
      const mine = byId.get(w);
      if (mine && !seen.has(w)) {
        mine.push(line.trim());
        seen.add(w);
      }
    }
  }
  return ids.map((id) => {
    const mine = byId.get(id)!;
    const text = mine.join('; ');
    let status: ActionStatus;
    if (mine.some((l) => l.endsWith(' is locked'))) status = 'locked';
    else if (action === 'rm' && mine.some((l) => l.endsWith('has been removed'))) status = 'done';
    else if (action === 'rm' && mine.some((l) => l.endsWith('has been removed or did not exist')))
      status = 'missing';
    else if (action === 'freeze' && mine.some((l) => l.endsWith('is now frozen'))) status = 'done';
    else if (action === 'freeze' && mine.some((l) => l.endsWith('is already frozen')))
      status = 'noop';
    else if (action === 'thaw' && mine.some((l) => l.endsWith('is no longer frozen')))
      status = 'done';
    else if (action === 'thaw' && mine.some((l) => l.endsWith('is not frozen'))) status = 'noop';
    else if (mine.some((l) => /does not exist|No such file/.test(l))) status = 'missing';
    else if (action === 'deliver' && mine.length === 0 && code === 0) status = 'done';
    else status = 'failed';
    return {
      id,
      status,
      detail: text || (status === 'done' ? 'delivery attempted' : `exim exited ${code}`),
    };
  });
}

/**
 * Runs the action on the ids in batches, `jobs` exim processes at once (each on its own ids, so
 * exim's per-message lock and log lines are the same as one process's); every batch is written
 * to the audit log as soon as its exim has exited. Results come back in the ids' order.
 */
export async function runAction(
  action: ActionName,
  ids: string[],
  opts: ActionOptions = {},
): Promise<ActionResult[]> {
  assertMessageIds(ids);
  const exim = findExim(opts.exim);
  if (!exim || !fs.existsSync(exim)) {
    throw new HostopsError('MAILQ_NO_EXIM', 'the exim binary was not found');
  }
  const file = auditPath(opts.auditLog);
  const fd = openAudit(file);
  const fixed = [exim, ...(opts.eximArgs ?? []), FLAG[action]];
  const jobs = Math.max(1, opts.jobs ?? (action === 'deliver' ? 1 : 2));
  const batches = planBatches(ids, fixed, jobs, opts.batchSize);
  const results: ActionResult[][] = new Array(batches.length);
  let next = 0;
  let finished = 0;
  let answered = 0;
  let stop = false; // an audit record that cannot be written stops every job before its next batch
  const worker = async () => {
    while (next < batches.length && !stop) {
      const k = next++;
      const batch = batches[k];
      const argv = [...(opts.eximArgs ?? []), FLAG[action], ...batch];
      let res: ActionResult[];
      let lines = 0;
      try {
        const r = await runExim(exim, argv, (n) => {
          // a progress tick per answer line, never past the batch's size
          const add = Math.min(n, batch.length - lines);
          if (add > 0) {
            lines += add;
            answered += add;
            opts.onProgress?.(answered, ids.length);
          }
        });
        res = classify(action, batch, r.stdout, r.stderr, r.code);
      } catch (e) {
        res = batch.map((id) => ({ id, status: 'failed' as const, detail: (e as Error).message }));
      }
      if (lines < batch.length) {
        answered += batch.length - lines;
        opts.onProgress?.(answered, ids.length);
      }
      try {
        writeAudit(fd, {
          action,
          ids: batch,
          exim,
          argv,
          selection: opts.selection,
          results: Object.fromEntries(res.map((r) => [r.id, r.status])),
        });
      } catch (e) {
        stop = true;
        throw e;
      }
      results[k] = res;
      finished += batch.length;
      opts.onBatch?.(finished, ids.length);
    }
  };
  try {
    // every job is waited for (the audit file stays open until the last exim has answered)
    const done = await Promise.allSettled(
      Array.from({ length: Math.min(jobs, batches.length) }, worker),
    );
    const failed = done.find((d) => d.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } finally {
    fs.closeSync(fd);
  }
  return results.flat();
}
