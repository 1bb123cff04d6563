// The typed option tables (src/cli/options/): each type reads and refuses the right values, with
// BAD_OPTION (exit 2) naming the flag; every option of every command is declared in a table; the
// --help lines and docs/options.md come from the tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { readOption, specOf, type OptionSpec } from '../../src/cli/options/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { runCli } from '../lib/cli.js';

const spec = (s: Partial<OptionSpec> & Pick<OptionSpec, 'type'>): OptionSpec => ({
  flags: '--x <v>',
  help: 'x',
  ...s,
});

function refused(s: OptionSpec, v: string, message: string): void {
  assert.throws(
    () => readOption(s, v),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'BAD_OPTION' &&
      e.exitCode === 2 &&
      e.message === message,
    `${s.type} ${JSON.stringify(v)}`,
  );
}

test('int and number: whole or finite numbers within the range; never "" (Number("") is 0)', () => {
  const int = spec({ type: 'int', min: 1, max: 255 });
  assert.equal(readOption(int, '1'), 1);
  assert.equal(readOption(int, '255'), 255);
  for (const v of ['0', '256', '1.5', 'abc', '', ' ', 'NaN', 'Infinity'])
    refused(int, v, `--x must be an integer 1..255, got ${JSON.stringify(v)}`);
  const num = spec({ type: 'number', min: 0.002, max: 3600, name: '-i' });
  assert.equal(readOption(num, '0.5'), 0.5);
  for (const v of ['0.001', '3601', 'x', ''])
    refused(num, v, `-i must be a number 0.002..3600, got ${JSON.stringify(v)}`);
  refused(spec({ type: 'number', min: 0 }), '-1', '--x must be a number >= 0, got "-1"');
  refused(spec({ type: 'number', above: 0 }), '0', '--x must be a number above 0, got "0"');
});

test('durations: "2s", "500ms", "1h30m"; a bare number in the unit the table names', () => {
  const ms = spec({ type: 'duration', min: 1, max: 60000 });
  assert.equal(readOption(ms, '2s'), 2000);
  assert.equal(readOption(ms, '2000'), 2000);
  assert.equal(readOption(ms, '500ms'), 500);
  refused(
    ms,
    '61s',
    '--x must be a duration 1ms..60s such as 2s or 500ms (a bare number is ms), got "61s"',
  );
  refused(
    ms,
    '2x',
    '--x must be a duration 1ms..60s such as 2s or 500ms (a bare number is ms), got "2x"',
  );
  const s = spec({ type: 'duration', unit: 's', above: 0 });
  assert.equal(readOption(s, '30'), 30);
  assert.equal(readOption(s, '5m'), 300);
  assert.equal(readOption(s, '1h30m'), 5400);
  assert.equal(readOption(s, '500ms'), 0.5);
  refused(
    s,
    '0',
    '--x must be a duration above 0s such as 2s or 500ms (a bare number is seconds), got "0"',
  );
});

test('sizes, rates, addresses and enums', () => {
  const size = spec({ type: 'size' });
  assert.equal(readOption(size, '4096'), 4096);
  assert.equal(readOption(size, '4K'), 4096);
  assert.equal(readOption(size, '3.5GB'), 3.5e9);
  assert.equal(readOption(spec({ type: 'size', kb: 'binary' }), '1MB'), 2 ** 20);
  refused(size, '4Q', '--x must be a size such as 4096, 64K or 1G, got "4Q"');
  const rate = spec({ type: 'rate' });
  assert.equal(readOption(rate, '100M'), 1e8);
  assert.equal(readOption(rate, '1Gbit/s'), 1e9);
  assert.equal(readOption(rate, '125MB/s'), 1e9);
  refused(rate, 'fast', '--x must be a rate such as 100M or 1Gbit/s, got "fast"');
  const addr = spec({ type: 'address' });
  assert.equal(readOption(addr, '::1'), '::1');
  assert.equal(readOption(addr, '198.18.0.1'), '198.18.0.1');
  refused(addr, '198.18.0.256', '--x must be an IP address, got "198.18.0.256"');
  const e = spec({ type: 'enum', choices: ['auto', 'raw'] });
  assert.equal(readOption(e, 'raw'), 'raw');
  refused(e, 'RAW', '--x must be one of auto, raw, got "RAW"');
});

test("a command's own error for a value is kept (its code and words)", () => {
  const s = spec({
    type: 'enum',
    choices: ['a'],
    error: (v) => new HostopsError('PING_BAD_OPTION', `bad ${v}`),
  });
  assert.throws(() => readOption(s, 'b'), { code: 'PING_BAD_OPTION', message: 'bad b' });
});

/** Every command below the program, with its full name. */
function* commands(cmd: Command, name = 'hostops'): Generator<[string, Command]> {
  yield [name, cmd];
  for (const sub of cmd.commands) yield* commands(sub, `${name} ${sub.name()}`);
}
const own = (o: Option) => o.long !== '--help' && o.long !== '--version';

test('every option of every command is declared in a table (commander -h/-V aside)', async () => {
  const program = await buildProgram();
  const missing: string[] = [];
  let n = 0;
  for (const [name, cmd] of commands(program))
    for (const o of cmd.options.filter(own)) {
      n++;
      if (!specOf(o)) missing.push(`${name} ${o.flags}`);
    }
  assert.deepEqual(missing, []);
  assert.ok(n > 250, `only ${n} options found: the walk missed commands`);
});

function parserOf(program: Command, path: string[], flag: string) {
  let cmd = program;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  const opt = cmd.options.find((o) => o.long === flag)!;
  return (v: string) => opt.parseArg!(v, undefined);
}

test('hostops-native seconds flags take durations; a bare number keeps meaning seconds', async () => {
  const program = await buildProgram();
  for (const [path, flag] of [
    [['mailq', 'watch'], '--interval'],
    [['bcp38', 'listen'], '--duration'],
    [['ddos', 'analyze'], '--quiet-after'],
  ] as const) {
    const parse = parserOf(program, [...path], flag);
    const at = `${path.join(' ')} ${flag}`;
    assert.equal(parse('2'), 2, at);
    assert.equal(parse('2s'), 2, at);
    assert.equal(parse('500ms'), 0.5, at);
    assert.equal(parse('1m'), 60, at);
  }
});

test('copied tools keep their units: ping -W and mtr -Z are seconds, fping -p milliseconds', async () => {
  const program = await buildProgram();
  const ping = program.commands.find((c) => c.name() === 'ping')!;
  const copies = (flag: string) => specOf(ping.options.find((o) => o.short === flag)!)?.copies;
  assert.equal(copies('-W'), 'iputils ping -W (seconds)');
  assert.equal(copies('-p'), 'fping -p (milliseconds)');
  assert.equal(parserOf(program, ['ping'], '--timeout')('2'), 2);
  assert.equal(parserOf(program, ['mtr'], '--timeout')('0.5'), 0.5);
});

test('a bad value is BAD_OPTION, exit 2, naming the flag, in every command that has numbers', () => {
  const cases: [string[], string][] = [
    [['ping', '-c', '0', '127.0.0.1'], '-c must be an integer 1..1000000000, got "0"'],
    [['ping', '-Q', '', '127.0.0.1'], '-Q must be an integer 0..255, got ""'],
    [['traceroute', '-q', '11', '127.0.0.1'], '-q must be an integer 1..10, got "11"'],
    [['mtr', '-Z', '0', '127.0.0.1'], '-Z must be a number 0.01..60, got "0"'],
    [['iperf', '-c', '127.0.0.1', '-P', '0'], '-P must be a number 1..128, got "0"'],
    [['ntp', 'query', '127.0.0.1', '--port', '0'], '--port must be an integer 1..65535, got "0"'],
    [['amp', 'scan', '127.0.0.1', '--rate', '0'], '--rate must be a number 1..10000000, got "0"'],
    [['ddos', 'analyze', '-', '--min-pps', '-1'], '--min-pps must be a number >= 0, got "-1"'],
    [
      ['probe', 'tcp', '127.0.0.1:9', '--count', '0'],
      '--count must be an integer 1..10000, got "0"',
    ],
    [
      ['bcp38', 'listen', '--duration', '0'],
      '--duration must be a duration above 0s such as 2s or 500ms (a bare number is seconds), got "0"',
    ],
    [
      ['mailq', 'watch', '--interval', 'soon'],
      '--interval must be a duration above 0s such as 2s or 500ms (a bare number is seconds), got "soon"',
    ],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.stderr, `hostops: ${message}\n  code: BAD_OPTION\n`, args.join(' '));
    assert.equal(r.status, 2, args.join(' '));
  }
});

test('--help lines carry the type, range and default from the table', () => {
  const h = runCli(['ntp', 'query', '--help']).stdout.replace(/\s+/g, ' ');
  assert.match(h, /-p, --port <n> UDP port \[integer 1\.\.65535\] \(default: 123\)/);
  assert.match(h, /\[duration 1ms\.\.60s\] \(default: 2s\)/);
});

test('docs/options.md is what scripts/gen-options-doc.mjs writes from the tables', () => {
  const r = spawnSync(process.execPath, ['scripts/gen-options-doc.mjs', '--check'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});

test('variadic and repeatable flags collect every value (commander hands a parser one at a time)', async () => {
  const { Command } = await import('commander');
  const { applyOptions } = await import('../../src/cli/options/index.js');
  const cmd = applyOptions(new Command('t').exitOverride(), {
    files: { flags: '--files <f...>', type: 'string', help: 'files' },
    ports: { flags: '--ports <n...>', type: 'int', min: 1, max: 9, help: 'ports' },
    other: { flags: '--other <a>', type: 'address', repeat: true, default: [], help: 'a' },
    x: { flags: '-x <c>', type: 'cidr', repeat: 'comma', help: 'c' },
  });
  cmd.parse(
    [
      '--files',
      'a',
      'b',
      '--ports',
      '1',
      '2',
      '--other',
      '::1',
      '--other',
      '198.18.0.1',
      '-x',
      'p,,q',
      '-x',
      'r',
    ],
    { from: 'user' },
  );
  assert.deepEqual(cmd.opts(), {
    files: ['a', 'b'],
    ports: [1, 2],
    other: ['::1', '198.18.0.1'],
    x: ['p', 'q', 'r'],
  });
});
