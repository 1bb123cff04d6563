/**
 * Reads hostops.yaml: YAML syntax errors and schema errors both become one HostopsError whose
 * message names the file, the field path (targets[2].sla.rtt) and the line.
 */
import { readFileSync, existsSync } from 'node:fs';
import { isNode } from 'yaml';
import { HostopsError } from '../lib/errors.js';
import { formatPath as yamlPath, parseYaml } from '../lib/yaml.js';
import { configSchema, type Config } from './schema.js';

export interface ConfigIssue {
  path: string;
  line?: number;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return yamlPath(path) || '(top level)';
}

/** Parse and validate YAML text; `file` only labels the messages. */
export function parseConfig(text: string, file = 'hostops.yaml'): Config {
  const { doc, value, lineOf } = parseYaml(text, (p) => {
    const at = p.line ? `${file}:${p.line}` : file;
    throw new HostopsError(
      'CONFIG_SYNTAX',
      `${at}: YAML ${p.kind === 'alias' ? 'aliases' : 'syntax error'}: ${p.message}`,
      {
        where: at,
        hint:
          p.kind === 'alias'
            ? 'write the values out instead of nesting aliases'
            : 'fix the YAML syntax at the line shown',
        exitCode: 2,
      },
    );
  });
  const raw = value ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HostopsError('CONFIG_INVALID', `${file}: expected a mapping at the top level`, {
      where: file,
    });
  }
  const res = configSchema.safeParse(raw);
  if (res.success) return res.data;
  const issues: ConfigIssue[] = res.error.issues.map((i) => {
    let path = i.path;
    if (i.code === 'unrecognized_keys') path = [...i.path, (i as { keys: string[] }).keys[0]];
    const node = doc.getIn(path as unknown[], true);
    const parentNode = doc.getIn(path.slice(0, -1) as unknown[], true);
    const at = isNode(node) ? node : isNode(parentNode) ? parentNode : null;
    const line = at?.range ? lineOf(at.range[0]) : undefined;
    const missing =
      i.code === 'invalid_type' && !isNode(node) && /received undefined/.test(i.message);
    const message =
      i.code === 'unrecognized_keys'
        ? 'unknown field (see docs/serve.md for the fields)'
        : missing
          ? 'required field is missing'
          : i.message;
    return { path: formatPath(path), line, message };
  });
  const lines = issues.map((i) => `${file}${i.line ? `:${i.line}` : ''}: ${i.path}: ${i.message}`);
  const err = new HostopsError('CONFIG_INVALID', lines.join('\n'), {
    where: `${file}${issues[0].line ? `:${issues[0].line}` : ''}`,
    hint: 'see docs/serve.md and docs/hostops.example.yaml for every field',
  });
  (err as HostopsError & { issues: ConfigIssue[] }).issues = issues;
  throw err;
}

/** Load a config file; with no path, ./hostops.yaml when it exists, otherwise all defaults. */
export function loadConfig(file?: string): { config: Config; file: string | null } {
  const candidate = file ?? (existsSync('hostops.yaml') ? 'hostops.yaml' : null);
  if (!candidate) return { config: configSchema.parse({}), file: null };
  let text: string;
  try {
    text = readFileSync(candidate, 'utf8');
  } catch (e) {
    throw new HostopsError(
      'CONFIG_UNREADABLE',
      `cannot read config file ${candidate}: ${(e as Error).message}`,
      { where: candidate, cause: e },
    );
  }
  return { config: parseConfig(text, candidate), file: candidate };
}
