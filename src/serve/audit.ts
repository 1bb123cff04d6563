/**
 * The dashboard's action audit log. It lives in the agent's state directory (beside the SQLite
 * database, or beside the spool for PostgreSQL), never relative to the working directory, and it
 * is opened before the action runs: an action whose record cannot be written is not done.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config/index.js';

export function stateDir(cfg: ResolvedConfig): string {
  return path.dirname(
    path.resolve(cfg.store.kind === 'sqlite' ? cfg.store.path : cfg.store.spool.path),
  );
}

export function auditPathFor(cfg: ResolvedConfig): string {
  return path.join(stateDir(cfg), 'audit.log');
}

export class AuditUnwritable extends Error {}

/** Opens `file` for appending (creating its directory); throws AuditUnwritable naming the file. */
export async function openAudit(file: string): Promise<FileHandle> {
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
    return await open(file, 'a', 0o640);
  } catch (e) {
    throw new AuditUnwritable(`cannot write the audit log ${file}: ${(e as Error).message}`);
  }
}

export async function writeAudit(fh: FileHandle, rec: Record<string, unknown>): Promise<void> {
  try {
    await fh.appendFile(JSON.stringify({ ts: new Date().toISOString(), ...rec }) + '\n');
  } finally {
    await fh.close().catch(() => {});
  }
}
