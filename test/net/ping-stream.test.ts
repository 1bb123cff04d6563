import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';

test('ping --json without -c/-w streams NDJSON events, then a summary line per target on SIGINT', async () => {
  const p = spawn(
    process.execPath,
    ['bin/hostops.js', 'ping', '-i', '0.1', '--json', '127.0.0.1', '::1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
  });
  // events arrive while the run is still going, not only at the end
  const deadline = Date.now() + 10000;
  while (out.split('\n').filter(Boolean).length < 4 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(out.includes('"type":"reply"'), `no streamed event before the end: ${out}`);
  p.kill('SIGINT');
  const code = await new Promise((r) => p.on('exit', r));
  assert.equal(code, 0);
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const sums = lines.filter((l) => l.type === 'summary');
  assert.deepEqual(sums.map((s) => s.address).sort(), ['127.0.0.1', '::1']);
  assert.ok(
    lines.findIndex((l) => l.type === 'summary') > lines.findIndex((l) => l.type === 'reply'),
  );
  for (const s of sums)
    assert.equal(
      s.received,
      lines.filter((l) => l.type === 'reply' && l.address === s.address && !l.dup).length,
    );
});

test('a bounded ping --json is still one JSON document; the text summary names the target as typed', () => {
  const j = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'ping', '-c', '2', '-i', '0.1', '--json', '127.0.0.1'],
    { encoding: 'utf8', timeout: 20000 },
  );
  assert.equal(JSON.parse(j.stdout).transmitted, 2);
  const t = spawnSync(process.execPath, ['bin/hostops.js', 'ping', '-c', '1', '127.1'], {
    encoding: 'utf8',
    timeout: 20000,
  });
  assert.match(t.stdout, /^PING 127\.1 \(127\.0\.0\.1\)/);
  assert.match(t.stdout, /\n--- 127\.1 ping statistics ---\n/);
});

test('several targets with -q: only the fping summaries on stderr, no leading blank line (as fping -q)', () => {
  const r = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'ping', '-c', '1', '-q', '127.0.0.1', '::1'],
    { encoding: 'utf8', timeout: 20000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^127\.0\.0\.1 : xmt\/rcv\/%loss = 1\/1\/0%/);
});
