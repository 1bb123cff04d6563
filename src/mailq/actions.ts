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
  batchSize?: number;
  auditLog?: string;
  /** Recorded in the audit log. */
  selection?: unknown;
  onBatch?: (done: number, total: number) => void;
}

const FLAG: Record<ActionName, string> = { rm: '-Mrm', freeze: '-Mf', thaw: '-Mt', deliver: '-M' };

function runExim(exim: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(exim, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Classify exim's per-message lines (queue.c queue_action) into one result per id. */
export function classify(action: ActionName, ids: string[], stdout: string, stderr: string, code: number): ActionResult[] {
  const lines = (stdout + '\n' + stderr).split('\n');
  return ids.map((id) => {
    const mine = lines.filter((l) => l.includes(id)).map((l) => l.trim());
    const text = mine.join('; ');
    let status: ActionStatus;
    if (mine.some((l) => l.endsWith(' is locked'))) status = 'locked';
    else if (action === 'rm' && mine.some((l) => l.endsWith('has been removed'))) status = 'done';
    else if (action === 'rm' && mine.some((l) => l.endsWith('has been removed or did not exist'))) status = 'missing';
    else if (action === 'freeze' && mine.some((l) => l.endsWith('is now frozen'))) status = 'done';
    else if (action === 'freeze' && mine.some((l) => l.endsWith('is already frozen'))) status = 'noop';
    else if (action === 'thaw' && mine.some((l) => l.endsWith('is no longer frozen'))) status = 'done';
    else if (action === 'thaw' && mine.some((l) => l.endsWith('is not frozen'))) status = 'noop';
    else if (mine.some((l) => /does not exist|No such file/.test(l))) status = 'missing';
    else if (action === 'deliver' && mine.length === 0 && code === 0) status = 'done';
    else status = 'failed';
    return { id, status, detail: text || (status === 'done' ? 'delivery attempted' : `exim exited ${code}`) };
  });
}

/** Runs the action on the ids in batches; every batch is written to the audit log. */
export async function runAction(action: ActionName, ids: string[], opts: ActionOptions = {}): Promise<ActionResult[]> {
  assertMessageIds(ids);
  const exim = findExim(opts.exim);
  if (!exim || !fs.existsSync(exim)) {
    throw new HostopsError('MAILQ_NO_EXIM', 'the exim binary was not found', { exitCode: 3, hint: 'pass --exim <path> or set HOSTOPS_EXIM' });
  }
  const file = auditPath(opts.auditLog);
  const fd = openAudit(file);
  const size = opts.batchSize ?? 100;
  const out: ActionResult[] = [];
  try {
    for (let i = 0; i < ids.length; i += size) {
      const batch = ids.slice(i, i + size);
      const argv = [...(opts.eximArgs ?? []), FLAG[action], ...batch];
      let results: ActionResult[];
      try {
        const r = await runExim(exim, argv);
        results = classify(action, batch, r.stdout, r.stderr, r.code);
      } catch (e) {
        results = batch.map((id) => ({ id, status: 'failed' as const, detail: (e as Error).message }));
      }
      writeAudit(fd, {
        action, ids: batch, exim, argv, selection: opts.selection,
        results: Object.fromEntries(results.map((r) => [r.id, r.status])),
      });
      out.push(...results);
      opts.onBatch?.(Math.min(i + size, ids.length), ids.length);
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
