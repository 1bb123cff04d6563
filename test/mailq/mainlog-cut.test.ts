// Issue 11 item 1: a mainlog line cut short after its time stamp (disk full, crash) made the C
// scanner step past the end of the line into the next one and segfault (exit 139). The real CLI
// runs on such logs with and without the addon and both give the same report.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostops } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-mainlog-cut-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const empty = path.join(dir, 'spool');
fs.mkdirSync(empty);

/** The issue's reproducer: a 20-byte line ending in '.', then 40 bytes with '<=' where the
 * scanner's cursor lands when it skips ".mmm" across the line end. */
function issueLog(): string {
  const l = [...'x'.repeat(40)];
  for (const [i, c] of Object.entries({ 9: '-', 16: '-', 19: ' ', 20: '<', 21: '=', 22: ' ' }))
    l[Number(i)] = c;
  return '2024-01-01 00:00:00.\n' + l.join('') + '\n';
}

const CASES: Record<string, string> = {
  issue: issueLog(),
  // the same cut with the file ending there (no next line) and at the end of the log with no newline
  tail: '2024-01-01 00:00:00.',
  // cut after a time zone, a [pid], in the middle of "cwd=" and of an arrival marker, each followed
  // by a line that would complete it if read across the newline
  zone: '2024-01-01 00:00:00 +0\n100 1xVwEz-0001TA-2H <= a@b U=u P=local for c@d\n',
  pid: '2024-01-01 00:00:00 [12] \n1xVwEz-0001TA-2H <= a@b U=u P=local for c@d\n',
  cwd: '2024-01-01 00:00:00 cw\nd=/home/x args: sendmail -t\n',
  arrival: '2024-01-01 00:00:00 1xVwEz-0001TA-2H <\n= a@b U=u P=local for c@d\n',
  ms: '2024-01-01 00:00:00.12\n3 1xVwEz-0001TA-2H <= a@b U=u P=local for c@d\n',
};

for (const [name, text] of Object.entries(CASES)) {
  test(`mailq sources on a log cut mid-line (${name}): no crash, the same report with and without the addon`, () => {
    const f = path.join(dir, `${name}.log`);
    fs.writeFileSync(f, text, 'latin1');
    const args = ['mailq', 'sources', '--log', f, '--spool', empty, '--no-queue', '--json'];
    const a = hostops(args);
    const b = hostops(args, { HOSTOPS_MAILQ_NATIVE: '0' });
    assert.equal(a.status, 0, `native: status ${a.status}\n${a.stderr}`);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(a.stdout, b.stdout);
    // a cut line is never an arrival made of the next line's bytes
    assert.equal(JSON.parse(a.stdout).messages, 0);
  });
}
