/**
 * Every output mode of `mailq list` (-bp text, -i, -c, -b, --json) on a queue of a spam run's
 * size whose index was rewritten from reused rows (mail arrived while `list` ran, then one more
 * `list` once quiet), for the whole queue, one message and a few: the bytes are exim -bp's and
 * exiqgrep's. More than 1 MB of ids (62,500 messages) is where parts were once handed out by
 * capacity (NUL bytes). And a failed write of the output (ENOSPC, EFBIG) is a named error, exit 3.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Spool, hostops, sameAsExim, CONF, EXIM, ROOT } from './helpers.js';
import { generateSpool } from './fixtures/gen-spool.js';

const N = 62_500; // 62,500 ids of 17 bytes: past the first 1 MB output buffer
const sp = new Spool();
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-out-cache-'));
const env = { HOSTOPS_CACHE_DIR: cache, HOSTOPS_DEBUG: '1' };
const wrapper = path.join(sp.dir, 'exim-wrapper');
const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-out-tmpfs-'));
after(() => {
  spawnSync('umount', [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
  sp.destroy();
  fs.rmSync(cache, { recursive: true, force: true });
});

const CLI = path.join(ROOT, 'bin/hostops.js');
const list = (...a: string[]) => hostops(['mailq', 'list', '--spool', sp.dir, ...a], env);
const exiqgrep = (...a: string[]) =>
  execFileSync('/usr/sbin/exiqgrep', ['-E', wrapper, ...a], {
    encoding: 'latin1',
    maxBuffer: 256 << 20,
  });
const note = (stderr: string) =>
  (stderr.match(/queue index: (used|not used[^\n]*)/) ?? [])[1] ?? '(none)';
const sorted = (s: string) => s.split('\n').filter(Boolean).sort();

/** exim -bp cut into its per-message blocks (age line to the blank line after it), by id. */
function blocks(bp: string): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  for (const b of bp.split(/(?<=\n\n)/)) {
    const m = /^ *\S+ +\S* +(\S{16}|\S{23}) /.exec(b);
    assert.ok(m, `an exim -bp block without an id: ${JSON.stringify(b.slice(0, 80))}`);
    out.push({ id: m[1], text: b });
  }
  return out;
}

const arrived: string[] = [];
let loner = '';

test('setup: a 62,500-message spam run, mail arriving during a listing, the index rewritten from reused rows', async () => {
  generateSpool(sp.dir, {
    count: N,
    alignMinutes: true,
    seed: 11,
    maxBody: 200,
    spamSender: 'spammer@bulk.example',
    spamEvery: 5000,
  });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', sp.dir]);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${CONF} -DSPOOL=${sp.dir} "$@"\n`, {
    mode: 0o755,
  });
  await sleep(2100); // past the 2 s in which a directory change is not trusted
  const first = list('-i');
  assert.match(first.stderr, new RegExp(`written \\(${N} messages, ${N} read`));
  // mail arrives (through exim) while a listing runs
  const running = spawn(process.execPath, [CLI, 'mailq', 'list', '--spool', sp.dir], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const done = new Promise((r) => running.once('exit', r));
  for (let k = 0; k < 3; k++)
    arrived.push(
      sp.inject(`arrival${k}@example.net`, [`rcpt${k}@example.org`], `Subject: arrival ${k}\n`),
    );
  loner = sp.inject('loner@example.net', ['x@example.org'], 'Subject: only one\n');
  await done;
  await sleep(2100);
  const again = list('-i');
  const m = /written \((\d+) messages, (\d+) read from the spool\)/.exec(again.stderr);
  assert.ok(m, again.stderr);
  assert.equal(Number(m[1]), N + 4);
  assert.ok(Number(m[2]) >= 4 && Number(m[2]) < 100, `rewritten mostly from reused rows: ${m[0]}`);
  assert.equal(note(list('-c').stderr), 'used');
});

// [what, our criteria, the same for exiqgrep (which needs one)]
const SELECTIONS: [string, string[], string[]][] = [
  ['the whole queue', [], ['-f', '^<']],
  ['the spam run (all but 17)', ['-f', 'spammer'], ['-f', 'spammer']],
  ['one message', ['-f', '^<loner@'], ['-f', '^<loner@']],
  ['a few', ['-f', 'arrival'], ['-f', 'arrival']],
];

test('whole queue, spam run, one message, a few: -bp text, -i, -c, -b and --json agree with exim -bp and exiqgrep to the byte', () => {
  // our -bp text of each selection must be exim -bp's blocks of those messages, from a listing
  // taken just before or just after ours (an age may tick over a minute in between)
  const texts = new Map<string, string>();
  let before = '',
    after = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    before = sp.exim(['-bp']).stdout;
    for (const [what, crit] of SELECTIONS) {
      const x = list(...crit);
      assert.equal(x.status, 0, x.stderr);
      assert.equal(note(x.stderr), 'used', what);
      texts.set(what, x.stdout);
    }
    after = sp.exim(['-bp']).stdout;
    if (before === after) break;
  }
  for (const [what, crit, theirs] of SELECTIONS) {
    const brief = exiqgrep(...theirs, '-b');
    const want = new Set(sorted(brief).map((l) => l.split(' ')[0]));
    assert.ok(want.size > 0, what);
    const pick = (bp: string) => blocks(bp).filter((b) => want.has(b.id));
    const ours = texts.get(what)!;
    const ref = [before, after].map((bp) =>
      pick(bp)
        .map((b) => b.text)
        .join(''),
    );
    assert.ok(
      ours === ref[0] || ours === ref[1],
      `${what}: -bp text differs (${ours.length} bytes against ${ref[0].length})`,
    );
    const order = pick(before).map((b) => b.id);
    assert.equal(order.length, want.size, what);
    // -i: exim's order, one id a line, nothing else (no NUL, no byte past the last id)
    const ids = list(...crit, '-i');
    assert.equal(note(ids.stderr), 'used', what);
    assert.equal(ids.stdout, order.map((i) => i + '\n').join(''), what);
    assert.equal(Buffer.byteLength(ids.stdout, 'latin1'), 17 * order.length);
    const c = list(...crit, '-c');
    assert.equal(c.stdout, `${order.length} matches out of ${N + 4} messages\n`, what);
    if (what.startsWith('the spam run')) assert.equal(c.stdout, exiqgrep(...theirs, '-c'));
    const b = list(...crit, '-b');
    assert.equal(b.status, 0, b.stderr);
    assert.deepEqual(sorted(b.stdout), sorted(brief), what);
    assert.deepEqual(
      b.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
      order,
    );
    const j = list(...crit, '--json');
    assert.equal(j.status, 0, j.stderr);
    const recs = j.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string });
    assert.deepEqual(
      recs.map((x) => x.id),
      order,
      what,
    );
    for (const o of [ours, ids.stdout, c.stdout, b.stdout, j.stdout])
      assert.equal(o.indexOf('\0'), -1, what);
  }
});

test('one message and a few by id: the named messages, as exim -bp ID lists them', () => {
  for (const named of [[loner], arrived]) {
    const ours = list(...named);
    assert.equal(ours.status, 0, ours.stderr);
    const r = sameAsExim(
      () => list(...named).stdout,
      () => sp.exim(['-bp', ...named]).stdout,
    );
    assert.ok(r.equal, `${r.ours}\n---\n${r.theirs}`);
    assert.equal(list(...named, '-i').stdout, named.map((i) => i + '\n').join(''));
    assert.equal(list(...named, '-c').stdout, `${named.length} matches out of ${N + 4} messages\n`);
  }
});

/** Runs `hostops mailq <args>` with stdout on fd; returns status and stderr. */
function into(
  fd: number,
  args: string[],
  prefix: string[] = [],
): { status: number; stderr: string } {
  const argv = [...prefix, process.execPath, CLI, 'mailq', ...args];
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', fd, 'pipe'],
    env: { ...process.env, HOSTOPS_CACHE_DIR: cache },
    encoding: 'latin1',
  });
  return { status: r.status ?? -1, stderr: r.stderr };
}

const MODES = [
  ['list'],
  ['list', '-i'],
  ['list', '-i', '-f', 'spammer'],
  ['list', '-f', 'spammer'],
  ['list', '-c'],
  ['list', '-b'],
  ['list', '--json'],
  ['count'],
];

test('a full device (/dev/full, ENOSPC) is a named error with exit 3 in every output mode, no stack trace', () => {
  const fd = fs.openSync('/dev/full', 'w');
  try {
    for (const m of MODES) {
      const r = into(fd, [...m, '--spool', sp.dir]);
      assert.equal(r.status, 3, `${m.join(' ')}: ${r.stderr}`);
      if (m.includes('--json')) {
        assert.deepEqual(JSON.parse(r.stderr).error, {
          code: 'OUTPUT_WRITE_FAILED',
          message: 'cannot write the output to /dev/full: ENOSPC (no space left on device)',
          hint: 'the file system is full: free space, or write the output somewhere else',
          where: '/dev/full',
        });
        continue;
      }
      assert.match(
        r.stderr,
        /^hostops: cannot write the output to \/dev\/full: ENOSPC \(no space left on device\)/,
        m.join(' '),
      );
      assert.match(r.stderr, /code: OUTPUT_WRITE_FAILED/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const j = into(fd, ['list', '-i', '--json', '--spool', sp.dir]);
    assert.equal(j.status, 3);
    assert.equal(JSON.parse(j.stderr).error.code, 'OUTPUT_WRITE_FAILED');
  } finally {
    fs.closeSync(fd);
  }
});

test('a file size limit (prlimit --fsize, EFBIG) and a full tmpfs (ENOSPC) stop the listing with exit 3', () => {
  const file = path.join(cache, 'limited.out');
  for (const m of [['list'], ['list', '-i'], ['list', '--json']]) {
    const fd = fs.openSync(file, 'w');
    const r = into(fd, [...m, '--spool', sp.dir], ['prlimit', '--fsize=65536', '--']);
    fs.closeSync(fd);
    assert.equal(r.status, 3, `${m.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        m.includes('--json')
          ? `"cannot write the output to ${file}: EFBIG \\(file too large\\)"`
          : `cannot write the output to ${file}: EFBIG \\(file too large\\)`,
      ),
    );
    // a short write is not taken for a whole one: the file is filled up to the limit, then the error
    assert.equal(fs.statSync(file).size, 65536);
  }
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt]);
  const out = path.join(mnt, 'ids.txt');
  for (const m of [['list', '-i', '-f', 'spammer'], ['list']]) {
    const fd = fs.openSync(out, 'w');
    const r = into(fd, [...m, '--spool', sp.dir]);
    fs.closeSync(fd);
    assert.equal(r.status, 3, `${m.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`cannot write the output to ${out}: ENOSPC`));
    // what did get written is a prefix of the real output, not NUL filler
    const got = fs.readFileSync(out, 'latin1');
    assert.ok(got.length > 0 && got.indexOf('\0') === -1);
    fs.rmSync(out);
  }
});
