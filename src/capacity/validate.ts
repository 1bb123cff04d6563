/** YAML + zod loading with errors that name the file and the field. */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { HostopsError } from '../lib/errors.js';

export function readYaml(file: string): unknown {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    throw new HostopsError('CAPACITY_READ_FAILED', `Cannot read ${file}: ${(e as Error).message}`, { where: file });
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new HostopsError('CAPACITY_BAD_YAML', `Cannot parse ${file}: ${e.message.split('\n')[0]}`, { where: line ? `${file}:${line}` : file });
  }
  try {
    return doc.toJS();
  } catch (e) {
    // alias bombs ("Excessive alias count ...") and alias cycles surface here, not in doc.errors
    throw new HostopsError('CAPACITY_BAD_YAML', `Cannot parse ${file}: ${(e as Error).message}`, { where: file });
  }
}

export function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${String(p)}` : String(p))).join('') || '(top level)';
}

/** Validate with a zod schema; the error names the first bad field and lists the others. */
export function validate<T extends z.ZodTypeAny>(schema: T, value: unknown, source: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`);
  throw new HostopsError('CAPACITY_BAD_CONFIG', `Invalid ${source}: ${issues[0]}`, {
    where: `${source}: ${fieldPath(r.error.issues[0].path)}`,
    hint: issues.length > 1 ? `also: ${issues.slice(1, 5).join('; ')}` : undefined,
  });
}
