/**
 * The dashboard's action audit (issue 11 item 7): the record, with the requester's address, goes
 * to the state directory whatever the working directory is, and an action whose record cannot be
 * written is refused with an error and not done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, buildHttp } from '../../src/serve/index.js';
import { fakeMailq, freePort, tempDir, testConfig } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

async function removeVia(base: string, ids: string[]): Promise<Response> {
  const { csrf } = (await (await fetch(`${base}/api/csrf`)).json()) as { csrf: string };
  return fetch(`${base}/api/mailq/remove`, {
    method: 'POST',
    body: JSON.stringify({ ids }),
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${TOKEN}`,
      'X-CSRF-Token': csrf,
      Origin: base,
    },
  });
}

test('the action audit record lands in the state directory, not in ./.hostops of the working directory', async () => {
  const t = tempDir();
  const cwd = tempDir();
  const port = await freePort();
  const state = path.join(t.dir, 'state');
  const cfg = testConfig(t.dir, port, {
    listen: { host: '127.0.0.1', port, token: TOKEN },
    mailq: { enabled: true },
  });
  cfg.store = { ...cfg.store, path: path.join(state, 'h.db') };
  const mailq = fakeMailq();
  const old = process.cwd();
  process.chdir(cwd.dir); // a working directory without .hostops/
  const agent = await Agent.create(cfg, { probes: { mailq } });
  const app = await buildHttp(agent, { host: '127.0.0.1', port, token: TOKEN });
  try {
    const r = await removeVia(`http://127.0.0.1:${port}`, ['1abcDE-000123-AB']);
    assert.equal(r.status, 200);
    assert.deepEqual(mailq.removed, ['1abcDE-000123-AB']);
    const file = path.join(state, 'audit.log');
    assert.ok(existsSync(file), 'audit.log beside the database');
    const rec = JSON.parse(readFileSync(file, 'utf8').trim());
    assert.equal(rec.action, 'mailq.remove');
    assert.equal(rec.from, '127.0.0.1');
    assert.deepEqual(rec.removed, ['1abcDE-000123-AB']);
    assert.equal(existsSync(path.join(cwd.dir, '.hostops')), false);
  } finally {
    process.chdir(old);
    await app.close();
    await agent.stop();
    t.cleanup();
    cwd.cleanup();
  }
});

test('an action whose audit record cannot be written is refused (503) and nothing is removed', async () => {
  const t = tempDir();
  const port = await freePort();
  const cfg = testConfig(t.dir, port, {
    listen: { host: '127.0.0.1', port, token: TOKEN },
    mailq: { enabled: true },
  });
  mkdirSync(path.join(t.dir, 'audit.log')); // the state directory's audit.log cannot be opened (even as root)
  const mailq = fakeMailq();
  const agent = await Agent.create(cfg, { probes: { mailq } });
  const app = await buildHttp(agent, { host: '127.0.0.1', port, token: TOKEN });
  try {
    const r = await removeVia(`http://127.0.0.1:${port}`, ['1abcDE-000123-AB']);
    assert.equal(r.status, 503);
    const body = (await r.json()) as { error: string };
    assert.match(body.error, /refused: cannot write the audit log .*audit\.log/);
    assert.deepEqual(mailq.removed, []);
  } finally {
    await app.close();
    await agent.stop();
    t.cleanup();
  }
});
