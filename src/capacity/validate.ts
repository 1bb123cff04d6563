/** YAML + zod loading with errors that name the file and the field. */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { HostopsError } from '../lib/errors.js';
import { formatPath, parseYaml } from '../lib/yaml.js';

export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HostopsError('CAPACITY_READ_FAILED', `Cannot read ${file}: ${(e as Error).message}`, {
      where: file,
    });
  }
  return parseYamlText(text, file);
}

/** The text of a capacity file (topology, host, prices); `file` names it in the errors. */
export function parseYamlText(text: string, file: string): unknown {
  // alias bombs ("Excessive alias count ...") and alias cycles have no line: the file alone
  return parseYaml(
    text,
    (p) => {
      throw new HostopsError('CAPACITY_BAD_YAML', `Cannot parse ${file}: ${p.message}`, {
        where: p.line ? `${file}:${p.line}` : file,
      });
    },
    { prettyErrors: true },
  ).value;
}

export function fieldPath(path: PropertyKey[]): string {
  return formatPath(path) || '(top level)';
}

/** Validate with a zod schema; the error names the first bad field and lists the others. */
export function validate<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  source: string,
): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`);
  throw new HostopsError('CAPACITY_BAD_CONFIG', `Invalid ${source}: ${issues[0]}`, {
    where: `${source}: ${fieldPath(r.error.issues[0].path)}`,
    hint: issues.length > 1 ? `also: ${issues.slice(1, 5).join('; ')}` : undefined,
  });
}
