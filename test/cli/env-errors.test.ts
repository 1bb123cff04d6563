/**
 * Environment and input errors from the real binary (issue 11 item 8): a busy port, a --db that is
 * not a database or sits under a file, 200k bad CSV rows, a bad --site. Each is a named error with
 * exit 2 or 3 that names the port or file, never "internal error" (70) or a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from '../store/helpers.js';

const BIN = path.resolve('bin/hostops.js');

/** Runs the binary without blocking this process's event loop (a test may hold a port for it). */
function hostops(
  args: string[],
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    const t = setTimeout(() => {
      if (p.pid)
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }, 60_000);
    p.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () =>
      resolve({
        port: (s.address() as net.AddressInfo).port,
        close: () => new Promise((r) => s.close(() => r())),
      }),
    );
  });
}

const QUIET =
  'site: t\ndefaults: { gateway: false }\niperf: { server: false }\nntp: { enabled: false }\namp: { enabled: false }\nmailq: { enabled: false }\npath: { enabled: false }\n';

const noCrash = (r: { stderr: string }) => {
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, r.stderr);
};

test('serve and iperf -s on a busy port exit 3 naming the port, with a hint', async () => {
  const t = tempDir();
  const held = await holdPort();
  try {
    writeFileSync(path.join(t.dir, 'hostops.yaml'), QUIET);
    const s = await hostops(
      ['serve', '--listen', `127.0.0.1:${held.port}`, '--db', path.join(t.dir, 'h.db')],
      t.dir,
    );
    assert.equal(s.status, 3, s.stderr);
    noCrash(s);
    assert.match(
      s.stderr,
      new RegExp(
        `dashboard: cannot listen on 127\\.0\\.0\\.1:${held.port}: the port is already in use`,
      ),
    );
    assert.match(s.stderr, /hint: .*--listen/);
    assert.match(s.stderr, /code: LISTEN_EADDRINUSE/);
    for (const extra of [[], ['--iperf2']]) {
      const i = await hostops(
        ['iperf', '-s', '-p', String(held.port), '-B', '127.0.0.1', ...extra],
        t.dir,
      );
      assert.equal(i.status, 3, i.stderr);
      noCrash(i);
      assert.match(
        i.stderr,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${held.port}: the port is already in use`),
      );
      assert.match(i.stderr, /hint: .*-p/);
    }
  } finally {
    await held.close();
    t.cleanup();
  }
});

test('serve --db that is not a database, or sits under a file, exits 3 naming the file', async () => {
  const t = tempDir();
  try {
    writeFileSync(path.join(t.dir, 'hostops.yaml'), QUIET);
    writeFileSync(path.join(t.dir, 'notes.db'), 'these are notes, not SQLite\n'.repeat(100));
    const a = await hostops(['serve', '--listen', '127.0.0.1:0', '--db', 'notes.db'], t.dir);
    assert.equal(a.status, 3, a.stderr);
    noCrash(a);
    assert.match(a.stderr, /cannot open the SQLite database notes\.db: file is not a database/);
    assert.match(a.stderr, /hint: give --db/);
    const b = await hostops(
      ['serve', '--listen', '127.0.0.1:0', '--db', '/etc/passwd/x.db'],
      t.dir,
    );
    assert.equal(b.status, 3, b.stderr);
    noCrash(b);
    assert.match(
      b.stderr,
      /cannot open the SQLite database \/etc\/passwd\/x\.db: \/etc\/passwd is a file, not a directory/,
    );
  } finally {
    t.cleanup();
  }
});

test("serve --site is checked with the config file's rule (exit 2)", async () => {
  const t = tempDir();
  try {
    for (const args of [
      ['--check-config'],
      ['--listen', '127.0.0.1:0', '--db', path.join(t.dir, 'h.db')],
    ]) {
      const r = await hostops(['serve', '--site', 'bad site!', ...args], t.dir);
      assert.equal(r.status, 2, r.stderr);
      noCrash(r);
      assert.match(r.stderr, /--site "bad site!": expected 1-64 letters, digits/);
      assert.match(r.stderr, /code: SERVE_BAD_SITE/);
    }
    const ok = await hostops(['serve', '--site', 'fra1.pop', '--check-config', '--json'], t.dir);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).config.site, 'fra1.pop');
  } finally {
    t.cleanup();
  }
});

test('capacity advise on a CSV with 200k bad rows reports them (count, first lines) and goes on', async () => {
  const t = tempDir();
  try {
    const lines = ['timestamp,series,value'];
    for (let i = 0; i < 20; i++) lines.push(`${1_700_000_000 + i * 300},web,${i % 7}`);
    for (let i = 0; i < 200_000; i++) lines.push(`${1_700_006_000 + i * 300},web,notanumber`);
    writeFileSync(path.join(t.dir, 'bad.csv'), lines.join('\n') + '\n');
    const r = await hostops(['capacity', 'advise', 'bad.csv'], t.dir);
    assert.equal(r.status, 0, r.stderr);
    noCrash(r);
    assert.match(
      r.stdout,
      /Input problems \(200000\):\n {2}bad\.csv:22: value "notanumber" is not a number; skipped\n/,
    );
    assert.match(r.stdout, /… 199980 more \(see --json\)/);
    assert.match(r.stdout, /Advice: web/);
    const j = await hostops(['capacity', 'advise', 'bad.csv', '--json'], t.dir);
    assert.equal(j.status, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { problems: { where: string }[]; advice: unknown[] };
    assert.equal(doc.problems.length, 200_000);
    assert.equal(doc.problems[0].where, 'bad.csv:22');
    assert.equal(doc.advice.length, 1);
  } finally {
    t.cleanup();
  }
});
