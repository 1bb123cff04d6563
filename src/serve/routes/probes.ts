/**
 * The probes: API. /api/probes lists the configured probes with their last run; /api/probes/:name
 * is a probe's runs over a range (the dashboard's graph); ?debug=true runs it now instead and
 * answers as blackbox_exporter's /probe?debug=true does: the probe's log, the metrics that run
 * would set, the probe's configuration. A debug run is not stored and changes no series.
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import type { Agent } from '../agent.js';
import type { Store } from '../../store/index.js';
import { runProbe } from '../jobs/probe-run.js';
import { bufferLog } from '../probes/prober.js';
import { ProbeMetrics } from '../probe-metrics.js';
import { rangeParams, type QueryGate } from './query-limits.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
type Q = Record<string, string | undefined>;

export function probeRoutes(
  app: FastifyInstance,
  agent: Agent,
  reads: Store,
  gate: QueryGate,
): void {
  const now = () => Date.now() / 1000;

  app.get('/api/probes', async (req) => {
    const site = (req.query as Q).site;
    const latest = await gate.run(() => reads.latestProbes(site));
    return agent.cfg.probes.map((p) => ({
      name: p.name,
      prober: p.prober,
      target: p.target,
      interval: p.interval,
      sla: p.sla ?? null,
      last: latest.filter((l) => l.probe === p.name),
    }));
  });

  app.get('/api/probes/:name', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const q = req.query as Q;
    const p = agent.cfg.probes.find((x) => x.name === name);
    const site = q.site ?? agent.cfg.site;
    if (!NAME.test(name) || !NAME.test(site))
      return reply.code(400).send({ error: 'name (and optional site) must be names' });
    if (q.debug === 'true') {
      if (!p)
        return reply.code(404).send({ error: `no probe named ${name} in this agent's config` });
      const { log, lines } = bufferLog();
      const row = await runProbe(p, log);
      const reg = new Registry();
      new ProbeMetrics(reg).set(row);
      const text = `Logs for the probe:\n${lines.join('\n')}\n\n\n\nMetrics that would have been returned:\n${await reg.metrics()}\n\n\nModule configuration:\n${stringify(p)}`;
      return reply.header('Content-Type', 'text/plain; charset=utf-8').send(text);
    }
    const { from, to } = rangeParams(
      q,
      now(),
      3 * 3600,
      Math.max(8 * 86400, agent.cfg.store.retention.fiveMinute),
    );
    return gate.run(() => reads.probeHistory(site, name, from, to));
  });
}
