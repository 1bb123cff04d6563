// The error registry (src/lib/error-codes.ts) against the source and docs/errors.md: every code
// thrown in src/ is declared there, every declared code is raised somewhere and documented, and
// the CLI prints commander's usage errors and numeric-option errors in the one hostops shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CODES } from '../../src/lib/error-codes.js';
import { HostopsError } from '../../src/lib/errors.js';
import { reportError } from '../../src/cli/main.js';

const REGISTRY = 'src/lib/error-codes.ts';
const codes = new Set(Object.keys(CODES));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p !== 'src/web/static') sources(p, out);
    } else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}
const files = sources('src')
  .filter((f) => f !== REGISTRY)
  .map((f) => ({ f, text: readFileSync(f, 'utf8') }));
const lineOf = (text: string, at: number) => text.slice(0, at).split('\n').length;

// the calls that take an error code as their first argument
const THROWERS =
  /\b(?:HostopsError(?:\.of)?|usageError|envError|ControlError|SockOptError|IperfError|fail)\(\s*/g;

test('every code thrown in src/ is declared in the registry, and none is computed at the call site', () => {
  const unknown: string[] = [];
  const computed: string[] = [];
  for (const { f, text } of files) {
    for (const m of text.matchAll(THROWERS)) {
      const rest = text.slice(m.index + m[0].length);
      const lit = /^'([A-Z][A-Z0-9_]*)'/.exec(rest);
      if (lit) {
        if (!codes.has(lit[1])) unknown.push(`${f}:${lineOf(text, m.index)}: ${lit[1]}`);
        continue;
      }
      // a template literal or concatenation builds a code no scan (and no script) can list
      if (/^[`"]/.test(rest) || /^'[^']*'\s*\+/.test(rest))
        computed.push(`${f}:${lineOf(text, m.index)}`);
    }
  }
  assert.deepEqual(
    unknown,
    [],
    `declare these codes in ${REGISTRY} (exit code, meaning, hint), then run scripts/gen-errors-doc.mjs`,
  );
  assert.deepEqual(
    computed,
    [],
    'codes are string literals, so this test and docs/errors.md can list them',
  );
});

test('every registered code is raised somewhere in src/', () => {
  const all = files.map((x) => x.text).join('\n');
  const unused = [...codes].filter((c) => !all.includes(`'${c}'`));
  assert.deepEqual(
    unused,
    [],
    `registered in ${REGISTRY} but never raised: remove them or raise them`,
  );
});

test('docs/errors.md documents every registered code and is what scripts/gen-errors-doc.mjs writes', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  const missing = [...codes].filter((c) => !doc.includes(`| \`${c}\` |`));
  assert.deepEqual(missing, []);
  const r = spawnSync(process.execPath, ['scripts/gen-errors-doc.mjs', '--check'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});

test('error classes in src/ are HostopsErrors, apart from internal signals that never reach a user', () => {
  // each of these is caught where it is thrown (or turned into a reply of the HTTP API)
  const internal = new Set(['DnsWireError', 'AuditUnwritable', 'BadParam', 'GateFull']);
  const plain: string[] = [];
  for (const { f, text } of files) {
    for (const m of text.matchAll(/class (\w+) extends Error\b/g))
      if (!internal.has(m[1]) && m[1] !== 'HostopsError') plain.push(`${f}: ${m[1]}`);
  }
  assert.deepEqual(plain, [], 'extend HostopsError with a registered code');
});

test('a HostopsError with a registered code takes exit code and hint from the registry unless given', () => {
  const e = new HostopsError('MAILQ_NO_LOG', 'no log');
  assert.equal(e.exitCode, 3);
  assert.equal(e.hint, CODES.MAILQ_NO_LOG.hint);
  const o = new HostopsError('MAILQ_NO_LOG', 'no log', { exitCode: 2, hint: 'mine' });
  assert.deepEqual([o.exitCode, o.hint], [2, 'mine']);
  assert.equal(
    new HostopsError('SOME_BRANCH_CODE', 'x').exitCode,
    2,
    'an unregistered code still works (exit 2)',
  );
  const t = HostopsError.of('BAD_OPTION', '-c', 'x', 'an integer 1..9').at('--count');
  assert.deepEqual(
    [t.code, t.message, t.exitCode, t.where],
    ['BAD_OPTION', '-c must be an integer 1..9, got "x"', 2, '--count'],
  );
});

test('an unexpected error is INTERNAL_ERROR, exit 70, in the same three-line form', () => {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((c: string) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stderr.write;
  let rc: number, rcJson: number;
  try {
    rc = reportError(new Error('boom'), false);
    rcJson = reportError(new Error('boom'), false, true);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(rc, 70);
  assert.equal(rcJson, 70);
  assert.equal(
    chunks.join(''),
    'hostops: internal error: boom\n  hint: run again with --debug for a stack trace, and report it\n  code: INTERNAL_ERROR\n' +
      JSON.stringify({
        error: {
          code: 'INTERNAL_ERROR',
          message: 'internal error: boom',
          hint: 'run again with --debug for a stack trace, and report it',
        },
      }) +
      '\n',
  );
});

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/hostops.js', ...args], { encoding: 'utf8', timeout: 60_000 });

test('commander usage errors print as hostops: / hint: / code: with exit 2', () => {
  const cases: [string[], string][] = [
    [
      ['ntp', 'query', '--no-such-flag', '127.0.0.1'],
      "hostops: unknown option '--no-such-flag'\n  hint: add --help after the command to list its options\n  code: USAGE_UNKNOWN_OPTION\n",
    ],
    [
      ['ntp', 'query', '--timout', '5', '127.0.0.1'],
      "hostops: unknown option '--timout'\n  hint: Did you mean --timeout?\n  code: USAGE_UNKNOWN_OPTION\n",
    ],
    [
      ['ntp', 'query'],
      "hostops: missing required argument 'host'\n  hint: add --help after the command to see its arguments\n  code: USAGE_MISSING_ARGUMENT\n",
    ],
    [
      ['ntp', 'query', '127.0.0.1', '--timeout'],
      "hostops: option '-t, --timeout <duration>' argument missing\n  hint: add --help after the command to see its options\n  code: USAGE_MISSING_OPTION_VALUE\n",
    ],
    [
      ['no-such-command'],
      "hostops: unknown command 'no-such-command'\n  hint: hostops --help lists the commands (hostops GROUP --help the subcommands)\n  code: USAGE_UNKNOWN_COMMAND\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = run(...args);
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
  }
  const j = run('mtr', '-j', '--no-such-flag', '127.0.0.1');
  assert.equal(j.status, 2);
  assert.deepEqual(JSON.parse(j.stderr), {
    error: {
      code: 'USAGE_UNKNOWN_OPTION',
      message: "unknown option '--no-such-flag'",
      hint: CODES.USAGE_UNKNOWN_OPTION.hint,
    },
  });
});

test('a bad numeric option has one code and one message shape in every command', () => {
  const cases: [string[], string][] = [
    [
      ['ntp', 'query', '--timeout', 'abc', '127.0.0.1'],
      '--timeout must be a duration 1ms..60s such as 2s or 500ms (a bare number is ms), got "abc"',
    ],
    [['mtr', '-Z', 'abc', '127.0.0.1'], '-Z must be a number 0.01..60, got "abc"'],
    [['traceroute', '-m', 'abc', '127.0.0.1'], '-m must be an integer 1..255, got "abc"'],
    [['ping', '-c', 'abc', '127.0.0.1'], '-c must be an integer 1..1000000000, got "abc"'],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.stderr, `hostops: ${message}\n  code: BAD_OPTION\n`, args.join(' '));
    assert.equal(r.status, 2, args.join(' '));
  }
});
