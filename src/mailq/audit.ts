/**
 * Audit log of queue actions: one JSON object per line (who, when, what, which ids, result).
 * Path: --audit-log, else $HOSTOPS_AUDIT_LOG, else /var/log/hostops/audit.log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostopsError } from '../lib/errors.js';

export const DEFAULT_AUDIT_LOG = '/var/log/hostops/audit.log';

export function auditPath(explicit?: string): string {
  return explicit || process.env.HOSTOPS_AUDIT_LOG || DEFAULT_AUDIT_LOG;
}

export interface AuditRecord {
  action: string;
  ids: string[];
  results: Record<string, string>;
  selection?: unknown;
  [k: string]: unknown;
}

function who(): Record<string, unknown> {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = String(process.getuid?.() ?? '?');
  }
  return {
    user,
    uid: process.getuid?.(),
    sudoUser: process.env.SUDO_USER,
    host: os.hostname(),
    pid: process.pid,
  };
}

/** Opens the log for appending before anything is done, so an action never runs unaudited. */
export function openAudit(file: string): number {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
    return fs.openSync(file, 'a', 0o640);
  } catch (e) {
    throw new HostopsError(
      'MAILQ_AUDIT_UNWRITABLE',
      `cannot write the audit log ${file}: ${(e as Error).message}`,
      { where: file },
    );
  }
}

export function writeAudit(fd: number, rec: AuditRecord): void {
  fs.writeSync(fd, JSON.stringify({ time: new Date().toISOString(), ...who(), ...rec }) + '\n');
}
