/**
 * Issue 14's fleet test: one real PostgreSQL, three `hostops serve` processes (three sites, each
 * with its own role) in their own network namespaces, targets in namespaces of their own, the
 * database reachable from each site over a veth, and the sites' pings routed through a core
 * router namespace. Every agent runs inside a namespace: its defaults never meet a real gateway.
 *
 *   host (PostgreSQL on 198.18.40.1/.5/.9) --veth-- sN (198.18.40.2/.6/.10) --veth-- core --veth-- tK
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { Topology } from '../lib/netns.js';
import { startPg, type PgCluster } from '../store/pg-cluster.js';
import { tempDir } from '../store/helpers.js';
import { roundsByAddress } from '../../src/fleet/sla.js';

const BIN = path.resolve('bin/hostops.js');
const SITES = ['s1', 's2', 's3'] as const;
const dbAddr = (i: number) => `198.18.40.${4 * i + 1}`;
const siteAddr = (i: number) => `198.18.40.${4 * i + 2}`;
const tAddr = (k: number) => `198.18.42.${4 * k + 2}`;
const TOKEN = 'fleet-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let topo: Topology;
let pg: PgCluster;
let owner: postgres.Sql;
let dir: ReturnType<typeof tempDir>;
const hostIf: string[] = [];
const siteNs: string[] = [];
const siteIf: string[] = [];
const urls: Record<string, string> = {};
const agents: { site: string; proc: ChildProcess; url: string; err: () => string }[] = [];

const fleet = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'fleet', ...args, '--db', pg.url], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `fleet ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** Poll until f() is truthy; fail with `what` after `seconds` (bounded waits, never a guessed sleep). */
async function until<T>(what: string, seconds: number, f: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (const end = Date.now() + seconds * 1000; Date.now() < end; ) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(500);
  }
  throw new Error(
    `${what}: not within ${seconds} s${last ? ` (${(last as Error).message})` : ''}\n${agents.map((a) => `${a.site}: ${a.err().slice(-1500)}`).join('\n')}`,
  );
}

const get = async (i: number, p: string) => {
  const r = await fetch(`${agents[i].url}${p}`, {
    headers: auth,
    signal: AbortSignal.timeout(10_000),
  });
  const body = await r.text();
  assert.equal(r.status, 200, `${p}: ${body}`);
  return JSON.parse(body);
};
const targetsOf = async (i: number) =>
  (await get(i, '/api/status')).targets
    .map((x: any) => `${x.name}=${x.host}`)
    .sort()
    .join(',');
const count = async (where: string, params: unknown[] = []) =>
  Number(
    (await owner.unsafe(`SELECT count(*)::int AS n FROM ping WHERE ${where}`, params as never[]))[0]
      .n,
  );

function startAgent(i: number): void {
  const site = SITES[i];
  const ns = siteNs[i];
  if (!ns) throw new Error('an agent runs only inside its namespace');
  const cfg = path.join(dir.dir, `${site}.yaml`);
  writeFileSync(
    cfg,
    [
      `site: ${site}`,
      `listen: { host: ${siteAddr(i)}, port: 8080, token: ${TOKEN} }`,
      `store: { kind: postgres, url: "${urls[site]}", readUrl: "${urls.dash.replace('@DB:', `@${dbAddr(i)}:`)}", spool: { path: ${path.join(dir.dir, site, 'spool.db')} } }`,
      'defaults: { self: false, gateway: false }',
      'ping: { interval: 2s, count: 3, timeout: 1s }',
      'iperf: { server: false }',
      'mailq: { enabled: false }',
      'ntp: { enabled: false }',
      'amp: { enabled: false }',
      'path: { enabled: false }',
    ].join('\n') + '\n',
  );
  const proc = topo.spawn(ns, [process.execPath, BIN, 'serve', '-c', cfg]);
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  proc.stdout?.on('data', () => {});
  agents.push({ site, proc, url: `http://${siteAddr(i)}:8080`, err: () => err });
}

before(async () => {
  dir = tempDir('hostops-3agents-');
  topo = new Topology('fo3');
  const core = topo.ns('core', { router: true });
  for (let i = 0; i < 3; i++) {
    const ns = topo.ns(SITES[i]);
    siteNs.push(ns);
    const l = topo.link(null, `${dbAddr(i)}/30`, ns, `${siteAddr(i)}/30`);
    hostIf.push(l.aIf);
    siteIf.push(l.bIf);
    topo.link(ns, `198.18.41.${4 * i + 1}/30`, core, `198.18.41.${4 * i + 2}/30`);
    topo.route(ns, 'default', `198.18.41.${4 * i + 2}`);
  }
  for (let k = 0; k < 3; k++) {
    const t = topo.ns(`t${k + 1}`);
    topo.link(core, `198.18.42.${4 * k + 1}/30`, t, `${tAddr(k)}/30`);
    topo.route(t, 'default', `198.18.42.${4 * k + 1}`);
  }
  // over the veths a role must give its password; the owner works on 127.0.0.1 only
  pg = await startPg({
    listen: [0, 1, 2].map(dbAddr),
    hba: ['host all postgres 198.18.40.0/24 reject', 'host all all 198.18.40.0/24 scram-sha-256'],
    conf: ['max_connections=100'],
  });
  owner = postgres(pg.url, { max: 2, onnotice: () => {} });
  for (let i = 0; i < 3; i++) {
    const out = fleet('add-site', SITES[i]);
    const m = /store\.url for this agent: (postgres:\/\/\S+)/.exec(out);
    assert.ok(m, out);
    urls[SITES[i]] = m[1].replace('@127.0.0.1:', `@${dbAddr(i)}:`);
  }
  // the fleet's dashboard role: what each agent's pages read, so every agent shows every site
  await owner.unsafe(`CREATE ROLE fleet_dash LOGIN PASSWORD 'dash-pw' IN ROLE hostops_dashboard`);
  urls.dash = `postgres://fleet_dash:dash-pw@DB:${pg.port}/hostops`; // each site reaches the database at its own veth's address
  fleet('add-target', 'edge1', tAddr(0), '--group', 'eu');
  fleet('add-target', 'edge2', tAddr(1), '--group', 'eu');
  fleet('sla', '--group', 'eu', '--rtt', '< 50 ms', '--loss', '< 5%');
  fleet('sla', '--site', 's2', '--target', 'edge2', '--rtt', '< 0.001 ms');
});

// a runner that times out sends SIGTERM: leave no namespaces, agents or cluster behind
// (the host ends of the veths hold fixed addresses a later run needs)
process.once('SIGTERM', () => {
  for (const a of agents) a.proc.kill('SIGKILL');
  pg?.stop();
  topo?.destroy();
  process.exit(143);
});

after(async () => {
  for (const a of agents) {
    if (a.proc.exitCode === null) {
      const gone = once(a.proc, 'exit');
      a.proc.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000)]);
    }
    if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill('SIGKILL');
  }
  await owner?.end();
  pg?.stop();
  topo?.destroy();
  dir?.cleanup();
});

test("three agents in namespaces measure the inventory's targets, follow it without a restart, and cannot touch each other's rows", async () => {
  for (let i = 0; i < 3; i++) startAgent(i);
  for (let i = 0; i < 3; i++) {
    await until(
      `${SITES[i]} reads the inventory`,
      60,
      async () => (await targetsOf(i)) === `edge1=${tAddr(0)},edge2=${tAddr(1)}`,
    );
  }
  // real ICMP through the core router, stored by each site under its own role
  for (const s of SITES)
    await until(
      `${s} stores answered rounds`,
      60,
      async () => (await count(`site = $1 AND received > 0`, [s])) >= 4,
    );

  // a central target reaches every agent without a restart
  const pids = agents.map((a) => a.proc.pid);
  fleet('add-target', 'edge3', tAddr(2), '--group', 'eu');
  for (let i = 0; i < 3; i++)
    await until(`${SITES[i]} follows add-target`, 30, async () =>
      (await targetsOf(i)).includes(`edge3=${tAddr(2)}`),
    );
  for (const s of SITES)
    await until(
      `${s} measures edge3`,
      60,
      async () => (await count(`site = $1 AND target = 'edge3' AND received > 0`, [s])) > 0,
    );
  assert.deepEqual(
    agents.map((a) => a.proc.pid),
    pids,
  );
  assert.ok(
    agents.every((a) => a.proc.exitCode === null),
    'no agent restarted',
  );

  // an explicit assignment narrows one site's targets, again without a restart
  fleet('assign', 's1', 'edge1');
  fleet('assign', 's2', 'group:eu');
  fleet('assign', 's3', 'group:eu');
  await until(
    's1 follows its explicit assignment',
    30,
    async () => (await targetsOf(0)) === `edge1=${tAddr(0)}`,
  );
  assert.equal(await targetsOf(1), `edge1=${tAddr(0)},edge2=${tAddr(1)},edge3=${tAddr(2)}`);

  // s1's own role, from s1's namespace address: another site's rows are invisible and untouchable
  const s1 = postgres(urls.s1, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const s2Before = await count(`site = 's2'`);
    assert.ok(s2Before > 0);
    assert.equal(
      Number((await s1.unsafe(`SELECT count(*)::int AS n FROM ping WHERE site = 's2'`))[0].n),
      0,
    );
    assert.equal(
      Number((await s1.unsafe(`SELECT count(*)::int AS n FROM ping_5m WHERE site <> 's1'`))[0].n),
      0,
    );
    // ping history is pruned by whole days by the owner's function: no site role may DELETE
    // there, and raw rounds are append-only
    await assert.rejects(s1.unsafe(`DELETE FROM ping WHERE site = 's2'`), /permission denied/);
    await assert.rejects(s1.unsafe(`DELETE FROM ping_5m WHERE site = 's3'`), /permission denied/);
    await assert.rejects(
      s1.unsafe(`UPDATE ping SET received = 0 WHERE site = 's3'`),
      /permission denied/,
    );
    assert.equal((await s1.unsafe(`UPDATE ping_5m SET received = 0 WHERE site = 's3'`)).count, 0);
    assert.equal((await s1.unsafe(`DELETE FROM path WHERE site = 's2'`)).count, 0);
    await assert.rejects(
      s1.unsafe(
        // today: a day with a partition, so it is the policy that refuses the row, not partition routing
        `INSERT INTO ping (site, target, ts, sent, received) VALUES ('s2', 'edge1', ${Math.floor(Date.now() / 1000)}, 1, 1)`,
      ),
      /row-level security/,
    );
    await assert.rejects(
      s1.unsafe(`UPDATE job_state SET site = 's2' WHERE site = 's1'`),
      /row-level security/,
    );
    await assert.rejects(s1.unsafe('DELETE FROM fleet_targets'), /permission denied/);
    await assert.rejects(s1.unsafe(`UPDATE fleet_sla SET rtt = '< 1 s'`), /permission denied/);
    assert.ok((await count(`site = 's2'`)) >= s2Before, 'nothing of s2 was deleted');
  } finally {
    await s1.end();
  }
  // and the owner cannot come in over a site's veth at all
  const sneaky = postgres(`postgres://postgres@${dbAddr(0)}:${pg.port}/hostops`, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
  });
  await assert.rejects(sneaky.unsafe('SELECT 1'), /pg_hba\.conf rejects/);
  await sneaky.end();
});

test("a renamed target keeps its history by address, and every agent shows the inventory's SLA for a pair", async () => {
  const t0 = Date.now() / 1000;
  fleet('rename-target', 'edge2', 'edge2b');
  for (const i of [1, 2])
    await until(`${SITES[i]} follows the rename`, 30, async () =>
      (await targetsOf(i)).includes(`edge2b=${tAddr(1)}`),
    );
  // both sites that probe it: the cells compared below exist once each has a round under the new name
  for (const site of ['s2', 's3'])
    await until(
      `${site} measures edge2b`,
      60,
      async () => (await count(`site = '${site}' AND target = 'edge2b'`)) > 0,
    );
  const ts = await roundsByAddress(owner as never, 's2', tAddr(1), 0, Date.now() / 1000 + 60);
  assert.ok(
    ts.some((x) => x < t0) && ts.some((x) => x > t0),
    'rounds before and after the rename, both under the address',
  );
  assert.equal(
    await count(`site = 's2' AND target = 'edge2' AND ts > $1::float8`, [t0 + 10]),
    0,
    'no new rows under the old name',
  );

  // every agent's page shows the same SLA for each pair: the inventory's (s2 x edge2b has its own)
  await until('every agent shows all three sites', 60, async () => {
    for (let i = 0; i < 3; i++)
      if ((await get(i, '/api/overview')).sites.join(',') !== 's1,s2,s3') return false;
    return true;
  });
  const shown: string[] = [];
  for (let i = 0; i < 3; i++) {
    const ov = await get(i, '/api/overview');
    const cell = (s: string, t: string) =>
      ov.cells.find((c: any) => c.site === s && c.target === t);
    assert.deepEqual(cell('s2', 'edge2b')?.sla, { rtt: '< 0.001 ms' }, `agent ${SITES[i]}`);
    assert.equal(cell('s2', 'edge2b')?.ok, false);
    assert.deepEqual(cell('s3', 'edge2b')?.sla, { rtt: '< 50 ms', loss: '< 5%' });
    assert.deepEqual(cell('s1', 'edge1')?.sla, { rtt: '< 50 ms', loss: '< 5%' });
    assert.equal(cell('s1', 'edge1')?.ok, true, JSON.stringify(cell('s1', 'edge1')));
    // (the order of targets follows each agent's own config; the pairs and their SLAs must agree)
    shown.push(
      JSON.stringify(
        ov.cells
          .map((c: any) => [c.site, c.target, c.sla])
          .sort((a: string[], b: string[]) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
      ),
    );
  }
  assert.equal(shown[1], shown[0]);
  assert.equal(shown[2], shown[0]);
});

test('an agent cut off from the database (nftables drop on its veth) keeps measuring and back-fills', async () => {
  const i = 2;
  const site = SITES[i];
  const sentNow = async () => {
    const r = await fetch(`${agents[i].url}/metrics`, {
      headers: auth,
      signal: AbortSignal.timeout(10_000),
    });
    const m = /^hostops_ping_packets_sent_total\{[^}]*target="edge1"[^}]*\} (\d+)/m.exec(
      await r.text(),
    );
    return m ? Number(m[1]) : 0;
  };
  // every packet to PostgreSQL from s3 is dropped (no reset): its connections just go silent
  topo.nft(
    siteNs[i],
    `table inet fo3cut {\n chain o {\n  type filter hook output priority 0; policy accept;\n  oifname "${siteIf[i]}" tcp dport ${pg.port} drop\n }\n}\n`,
  );
  const cut = Date.now() / 1000;
  const sent0 = await sentNow();
  await until(
    `${site} keeps measuring while cut off`,
    60,
    async () => (await sentNow()) >= sent0 + 3 * 5,
  );
  await until(
    `${site} spools while cut off`,
    60,
    async () => (await get(i, '/api/status')).spool.rows > 0,
  );
  const healed = Date.now() / 1000;
  assert.equal(
    await count(`site = $1 AND ts > $2::float8 + 3 AND ts < $3::float8`, [site, cut, healed]),
    0,
    'nothing arrived while cut off',
  );
  topo.exec(siteNs[i], ['nft', 'delete', 'table', 'inet', 'fo3cut']);
  // the rounds measured in the gap arrive, under their own timestamps
  const gap = await until(`${site} back-fills`, 180, async () => {
    const n = await count(
      `site = $1 AND target = 'edge1' AND ts > $2::float8 + 3 AND ts < $3::float8`,
      [site, cut, healed],
    );
    return n >= 4 ? n : 0;
  });
  assert.ok(gap >= 4);
  await until(
    `${site} spool drained`,
    120,
    async () => (await get(i, '/api/status')).spool.rows === 0,
  );
  // the other sites never noticed
  for (const s of ['s1', 's2'])
    assert.ok(
      (await count(`site = $1 AND ts > $2::float8 AND ts < $3::float8`, [s, cut, healed])) > 0,
      s,
    );
});
