/** Read-only JSON API behind the dashboard. */
import type { FastifyInstance } from 'fastify';
import type { Agent } from '../agent.js';
import { buildOverview } from '../overview.js';
import { SpooledStore } from '../../store/index.js';

const num = (v: unknown, d: number) => { const n = Number(v); return v !== undefined && v !== '' && Number.isFinite(n) ? n : d; };
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function apiRoutes(app: FastifyInstance, agent: Agent): void {
  const { store } = agent;
  const now = () => Date.now() / 1000;

  app.get('/api/status', async () => ({
    site: agent.cfg.site, store: store.kind, version: '0.1.0', notes: agent.notes,
    targets: agent.cfg.targets.map((t) => ({ name: t.name, host: t.host })),
    jobs: agent.scheduler.states(),
    spool: store instanceof SpooledStore ? store.stats() : null,
    probes: Object.fromEntries(Object.entries(agent.probes).map(([k, v]) => [k, v.name])),
  }));

  app.get('/api/overview', async (req) => {
    const q = req.query as Record<string, string>;
    return buildOverview(store, agent.cfg.targets, now(), num(q.window, 3600), num(q.slaWindow, 86400));
  });

  app.get('/api/history', async (req, reply) => {
    const q = req.query as Record<string, string>;
    const site = q.site ?? agent.cfg.site; const target = q.target;
    if (!target || !NAME.test(target) || !NAME.test(site)) return reply.code(400).send({ error: 'target (and optional site) must be names' });
    const to = num(q.to, now()); const from = num(q.from, to - 3 * 3600);
    if (!(from < to)) return reply.code(400).send({ error: 'from must be before to' });
    if (to - from > 400 * 86400) return reply.code(400).send({ error: 'a history spans at most 400 days (the hourly retention)' });
    const res = q.resolution === 'raw' || q.resolution === '5m' || q.resolution === '1h' ? q.resolution : undefined;
    return store.pingHistory(site, target, from, to, res);
  });

  app.get('/api/paths', async (req) => store.latestPaths((req.query as Record<string, string>).site));

  app.get('/api/throughput', async (req) => {
    const q = req.query as Record<string, string>;
    const to = num(q.to, now());
    return store.throughputHistory(num(q.from, to - 30 * 86400), to, q.site);
  });

  app.get('/api/mailq', async (req) => {
    const q = req.query as Record<string, string>;
    const site = q.site ?? agent.cfg.site;
    const to = num(q.to, now());
    return {
      enabled: agent.jobs.some((j) => j.name === 'mailq'),
      latest: await store.latestMailq(site),
      history: await store.mailqHistory(site, num(q.from, to - 86400), to),
    };
  });

  app.get('/api/checks/:kind', async (req, reply) => {
    const kind = (req.params as { kind: string }).kind;
    if (!['ntp', 'amp', 'capacity', 'contention', 'mailq-sources'].includes(kind)) return reply.code(404).send({ error: `unknown check kind ${kind}` });
    return store.latestChecks(kind, (req.query as Record<string, string>).site);
  });

  app.get('/api/sites', async () => store.sites());
}
