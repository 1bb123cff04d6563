/**
 * Read-only JSON API behind the dashboard. Window and range parameters are bounded by the
 * retention of the rows they read (routes/query-limits.ts); heavy queries go through one gate and,
 * with SQLite, run on a worker thread's connection (`reads`), off the scheduler's event loop;
 * identical overview requests in flight together share one computation.
 */
import { VERSION } from '../../lib/version.js';
import type { FastifyInstance } from 'fastify';
import type { Agent } from '../agent.js';
import { buildOverview, slaIndex, type Overview, type OverviewCellOut } from '../overview.js';
import {
  cellPage,
  groupOverview,
  searchTargets,
  worstPairs,
  type Matrix,
  type TargetInfo,
} from '../fleet-views.js';
import { OverviewParts, PARTS_OPTIONS } from '../overview-parts.js';
import { SpooledStore, type Store } from '../../store/index.js';
import { InventorySlaCache } from '../../fleet/sla-cache.js';
import { QueryGate, SingleFlight, rangeParams, secondsParam, BadParam } from './query-limits.js';
import { buildProbeOverview, type ProbeCell } from '../probe-overview.js';
import { OverviewCache } from '../overview-cache.js';
import { probeRoutes } from './probes.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
type Q = Record<string, string | undefined>;

export function apiRoutes(
  app: FastifyInstance,
  agent: Agent,
  reads: Store = agent.store,
  gate = new QueryGate(),
): void {
  const { store } = agent;
  const now = () => Date.now() / 1000;
  const retention = () => agent.cfg.store.retention;
  const overviews = new SingleFlight<Overview & { probes: ProbeCell[] }>();
  // one matrix per window for a few seconds or until a rollup lands: a grouped dashboard's refresh
  // (groups, a page of cells, worst pairs, search, the full overview) builds it once
  const matrices = new OverviewCache<Overview>();
  const ids = new WeakMap<object, number>();
  let nextId = 1;
  const idOf = (o: object | null) => {
    if (!o) return 0;
    if (!ids.has(o)) ids.set(o, nextId++);
    return ids.get(o)!;
  };
  const probeLists = new SingleFlight<ProbeCell[]>();
  // the inventory's SLAs, re-read only when NOTIFY says the inventory changed
  const slas = new InventorySlaCache(store);
  app.addHook('onClose', async () => {
    await slas.close();
  });

  app.get('/api/status', async () => ({
    site: agent.cfg.site,
    store: store.kind,
    version: VERSION,
    notes: agent.notes,
    targets: agent.cfg.targets.map((t) => ({ name: t.name, host: t.host })),
    jobs: agent.scheduler.states(),
    spool: store instanceof SpooledStore ? store.stats() : null,
    probes: Object.fromEntries(Object.entries(agent.probes).map(([k, v]) => [k, v.name])),
  }));

  // the recent window reads every 5-minute row in it into memory: a day at most; SLA compliance
  // is counted in the database over at most the 5-minute retention (nothing older exists)
  const windowsOf = (q: Q) => ({
    window: secondsParam(q, 'window', 3600, 300, 86400),
    slaWindow: secondsParam(q, 'slaWindow', 86400, 300, Math.max(86400, retention().fiveMinute)),
  });
  // a fleet's SLAs live in its inventory, so every agent shows the same; else the local config's
  const matrix = async (window: number, slaWindow: number) => {
    const lookup = await slas.get();
    const targets = agent.cfg.targets; // a reload replaces the array: a new key
    const version = reads.dataVersion ? await reads.dataVersion() : null;
    return matrices.get(`${window}:${slaWindow}:${idOf(lookup)}:${idOf(targets)}`, version, () =>
      gate.run(() => buildOverview(reads, targets, now(), window, slaWindow, lookup)),
    );
  };
  const probeCells = (window: number) =>
    buildProbeOverview(
      reads,
      agent.cfg.probes,
      now(),
      window,
      agent.cfg.alerts.rules.probeSla.window,
    );
  // each answer below is one heavy query (one place in the gate), single-flighted per window
  // /api/overview: the matrix, and the probes: rows in their own list (an additive field)
  const overviewOf = (q: Q) => {
    const { window, slaWindow } = windowsOf(q);
    return overviews.run(`${window}:${slaWindow}`, async () => {
      const [m, probes] = await Promise.all([
        matrix(window, slaWindow),
        gate.run(() => probeCells(window)),
      ]);
      return { ...m, probes };
    });
  };
  // the fleet views need the matrix only: on PostgreSQL merged from per-site parts, each re-read
  // only when its site's rollup lands or the window cuts step (overview-parts.ts; previous parts
  // are served while one refresh runs, for at most PARTS_OPTIONS.staleMs); else the matrix built whole
  const parts = new OverviewParts(reads, (f) => gate.run(f), PARTS_OPTIONS);
  // the RTT bound of a cell's SLA for worst-by-sla: one function per lookup (parts keep its
  // ranking), indexed by name instead of a scan of the targets per cell
  const rttFns = new WeakMap<object, (c: OverviewCellOut) => number | null>();
  const rttOf = (lookup: ((s: string, t: string) => { rtt?: { value: number } } | null) | null) => {
    const key: object = lookup ?? agent.cfg.targets;
    let f = rttFns.get(key);
    if (!f) {
      const look = lookup ?? slaIndex(agent.cfg.targets);
      f = (c) => look(c.site, c.target)?.rtt?.value ?? null;
      rttFns.set(key, f);
    }
    return f;
  };
  const matrixOf = async (
    q: Q,
  ): Promise<{
    m: Overview | Matrix;
    fresh: Record<string, unknown>;
    slaRtt: ReturnType<typeof rttOf>;
    info: Map<string, TargetInfo>;
  }> => {
    const { window, slaWindow } = windowsOf(q);
    const lookup = await slas.get();
    const slaRtt = rttOf(lookup);
    const info = await targetInfo();
    const targets = agent.cfg.targets;
    const a = await parts.get({
      now: now(),
      window,
      slaWindow,
      lookup,
      targets,
      info,
      slaRtt,
      context: `${idOf(lookup)}:${idOf(targets)}:${idOf(info)}`,
    });
    if (!a) return { m: await matrix(window, slaWindow), fresh: {}, slaRtt, info };
    // the age of what is shown: the oldest site's, and each site's
    const asOf = Object.fromEntries(a.asOf);
    return {
      m: a.matrix,
      fresh: {
        generatedAt: Math.min(now(), ...a.asOf.values()),
        sitesAsOf: asOf,
        stale: a.stale,
      },
      slaRtt,
      info,
    };
  };
  // the grouped dashboard's probes panel needs the probes only
  const probesOf = (q: Q) => {
    const { window } = windowsOf(q);
    return probeLists.run(String(window), () => gate.run(() => probeCells(window)));
  };
  app.get('/api/overview', async (req) => overviewOf(req.query as Q));

  // views for fleets with many targets (fleet-views.ts): a page of cells at most, never the matrix
  // one Map per config (a reload replaces the array): the parts keep their group cells per Map
  const infos = new WeakMap<object, Map<string, TargetInfo>>();
  const targetInfo = async (): Promise<Map<string, TargetInfo>> => {
    const inv = await slas.targets();
    if (inv) return inv;
    const cfg = agent.cfg.targets;
    let m = infos.get(cfg);
    if (!m) {
      m = new Map(
        cfg.map((t) => [
          t.name,
          { name: t.name, address: t.host, groups: t.group ? [t.group] : [] },
        ]),
      );
      infos.set(cfg, m);
    }
    return m;
  };
  const intParam = (q: Q, name: string, dflt: number, min: number, max: number) => {
    const v = q[name];
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw new BadParam(`${name} must be an integer from ${min} to ${max}`);
    return Number(v);
  };
  const textParam = (q: Q, name: string) => {
    const v = q[name];
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
    if (v !== undefined && (v.length > 100 || /[\u0000-\u001f]/.test(v)))
      throw new BadParam(`${name} must be at most 100 printable characters`);
    return v || undefined;
  };
  app.get('/api/overview/groups', async (req) => {
    const { m, fresh, info } = await matrixOf(req.query as Q);
    return { ...groupOverview(m, info), ...fresh };
  });
  app.get('/api/overview/cells', async (req) => {
    const q = req.query as Q;
    const group = textParam(q, 'group');
    const site = textParam(q, 'site');
    if (site && !NAME.test(site)) throw new BadParam('site must be a name');
    const o = {
      group,
      site,
      q: textParam(q, 'q'),
      offset: intParam(q, 'offset', 0, 0, 10_000_000),
      limit: intParam(q, 'limit', 100, 1, 1000),
    };
    const { m, fresh, info } = await matrixOf(q);
    return { ...cellPage(m, info, o), ...fresh };
  });
  app.get('/api/worst', async (req) => {
    const q = req.query as Q;
    const by = q.by ?? 'loss';
    if (by !== 'loss' && by !== 'sla') throw new BadParam('by must be loss or sla');
    const n = intParam(q, 'n', 20, 1, 500);
    const { m, fresh, slaRtt } = await matrixOf(q);
    return { by, n, pairs: worstPairs(m, by, n, slaRtt), ...fresh };
  });
  app.get('/api/search', async (req) => {
    const q = req.query as Q;
    const text = textParam(q, 'q');
    if (!text) throw new BadParam('q (a part of a target name, address or group) is required');
    const { m, fresh, info } = await matrixOf(q);
    return {
      q: text,
      targets: searchTargets(m, info, text, intParam(q, 'limit', 50, 1, 500)),
      ...fresh,
    };
  });

  // the probes: rows alone, so the grouped dashboard never asks for the whole matrix
  app.get('/api/overview/probes', async (req) => ({
    probes: await probesOf(req.query as Q),
  }));

  app.get('/api/history', async (req, reply) => {
    const q = req.query as Q;
    const site = q.site ?? agent.cfg.site;
    const target = q.target;
    if (!target || !NAME.test(target) || !NAME.test(site))
      return reply.code(400).send({ error: 'target (and optional site) must be names' });
    const res =
      q.resolution === 'raw' || q.resolution === '5m' || q.resolution === '1h'
        ? q.resolution
        : undefined;
    if (q.resolution !== undefined && !res) throw new BadParam('resolution must be raw, 5m or 1h');
    // each resolution reads at most its own retention; automatic resolution stays within 400 days
    const r = retention();
    const max =
      res === 'raw'
        ? Math.max(6 * 3600, r.raw)
        : res === '5m'
          ? Math.max(8 * 86400, r.fiveMinute)
          : Math.max(400 * 86400, r.hourly);
    const { from, to } = rangeParams(q, now(), 3 * 3600, max);
    return gate.run(() => reads.pingHistory(site, target, from, to, res));
  });

  app.get('/api/paths', async (req) => reads.latestPaths((req.query as Q).site));

  app.get('/api/throughput', async (req) => {
    const q = req.query as Q;
    const { from, to } = rangeParams(
      q,
      now(),
      30 * 86400,
      Math.max(400 * 86400, retention().hourly),
    );
    return gate.run(() => reads.throughputHistory(from, to, q.site));
  });

  app.get('/api/mailq', async (req) => {
    const q = req.query as Q;
    const site = q.site ?? agent.cfg.site;
    const { from, to } = rangeParams(q, now(), 86400, Math.max(86400, retention().fiveMinute));
    return gate.run(async () => ({
      enabled: agent.jobs.some((j) => j.name === 'mailq'),
      latest: await reads.latestMailq(site),
      history: await reads.mailqHistory(site, from, to),
    }));
  });

  app.get('/api/checks/:kind', async (req, reply) => {
    const kind = (req.params as { kind: string }).kind;
    if (!['ntp', 'amp', 'capacity', 'contention', 'mailq-sources'].includes(kind))
      return reply.code(404).send({ error: `unknown check kind ${kind}` });
    return reads.latestChecks(kind, (req.query as Q).site);
  });

  app.get('/api/sites', async () => reads.sites());

  probeRoutes(app, agent, reads, gate);
}
