/**
 * The one YAML reader for hostops' input files (hostops.yaml, capacity topologies, hosts and
 * prices, bcp38 customer files): line numbers for every node, and the two ways a document is
 * bad, a syntax error (in doc.errors) and an alias bomb or cycle (thrown by toJS, not in
 * doc.errors), both handed to the caller's `fail`, which throws that module's named error.
 * Validation stays with each module's zod schema; `nodeLine` and `formatPath` name the field.
 */
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';

export interface YamlProblem {
  kind: 'syntax' | 'alias';
  /** 1-based line of a syntax error; undefined for alias problems (they have no one place) */
  line?: number;
  /** the first line of yaml's message */
  message: string;
}

export interface ParsedYaml {
  value: unknown;
  doc: Document;
  /** 1-based line of a source offset */
  lineOf(offset: number): number;
  /** line of the node at path, undefined when there is no such node */
  nodeLine(path: readonly unknown[]): number | undefined;
}

/** prettyErrors: yaml's message then ends in "at line L, column C:" (the capacity files' wording). */
export function parseYaml(
  text: string,
  fail: (p: YamlProblem) => never,
  opts: { prettyErrors?: boolean } = {},
): ParsedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: opts.prettyErrors ?? false });
  const lineOf = (offset: number) => lc.linePos(offset).line;
  if (doc.errors.length) {
    const e = doc.errors[0];
    fail({
      kind: 'syntax',
      line: e.linePos?.[0]?.line ?? lineOf(e.pos[0]),
      message: e.message.split('\n')[0],
    });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    fail({ kind: 'alias', message: (e as Error).message });
  }
  const nodeLine = (path: readonly unknown[]) => {
    const n = doc.getIn(path as unknown[], true);
    return isNode(n) && n.range ? lineOf(n.range[0]) : undefined;
  };
  return { value, doc, lineOf, nodeLine };
}

/** targets[2].sla.rtt; '' for the top level (callers choose their word for it). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}
