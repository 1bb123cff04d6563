// hostops' own time flags take durations; a bare number keeps meaning milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../lib/cli.js';

const FLAGS: [string[], string][] = [
  [['ntp', 'query'], '--timeout'],
  [['ntp', 'check'], '--timeout'],
  [['amp', 'scan'], '--wait'],
  [['bcp38', 'spooftest'], '--wait'],
];

function parserOf(program: Command, path: string[], flag: string): (v: string) => number {
  let cmd = program;
  for (const name of path) {
    const sub = cmd.commands.find((c) => c.name() === name);
    assert.ok(sub, `no command ${path.join(' ')}`);
    cmd = sub;
  }
  const opt = cmd.options.find((o) => o.long === flag);
  assert.ok(opt?.parseArg, `${path.join(' ')} ${flag} has no value parser`);
  const parseArg = opt.parseArg;
  return (v) => parseArg(v, 0);
}

test('each ms flag reads "2s" and a bare 2000 as the same wait, "500ms" as 500', async () => {
  const program = await buildProgram();
  for (const [path, flag] of FLAGS) {
    const parse = parserOf(program, path, flag);
    const at = `${path.join(' ')} ${flag}`;
    assert.equal(parse('2s'), 2000, at);
    assert.equal(parse('2000'), 2000, at);
    assert.equal(parse('500ms'), 500, at);
    assert.equal(parse('500'), 500, at);
    assert.equal(parse('1.5s'), 1500, at);
  }
});

test('a bad or out-of-range value is BAD_OPTION, exit 2, naming the flag and the value', () => {
  const cases: [string[], string][] = [
    [['ntp', 'query', '127.0.0.1', '--timeout', '2x'], '--timeout must be a duration 1ms..60s'],
    [['ntp', 'check', '127.0.0.1', '--timeout', '0'], '--timeout must be a duration 1ms..60s'],
    [['amp', 'scan', '127.0.0.1', '--wait', '61s'], '--wait must be a duration 0ms..60s'],
    [
      ['bcp38', 'spooftest', '--to', '127.0.0.1', '--port', '9', '--wait', '-1'],
      '--wait must be a duration 0ms..60s',
    ],
  ];
  for (const [args, head] of cases) {
    const r = runCli(args);
    const v = args[args.length - 1];
    assert.equal(
      r.stderr,
      `hostops: ${head} such as 2s or 500ms (a bare number is ms), got "${v}"\n  code: BAD_OPTION\n`,
      args.join(' '),
    );
    assert.equal(r.status, 2, args.join(' '));
  }
});

test('ntp query waits the same with --timeout 0.3s and --timeout 300 (no server on the port)', () => {
  const out = ['0.3s', '300'].map((t) =>
    runCli(['ntp', 'query', '127.0.0.1', '--port', '9', '--timeout', t]),
  );
  for (const r of out) {
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^hostops: no NTP reply from 127\.0\.0\.1 within 300 ms \(127\.0\.0\.1:9\)\n/,
    );
  }
  assert.equal(out[0].stderr, out[1].stderr);
});
