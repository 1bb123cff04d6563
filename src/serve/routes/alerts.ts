/** GET /api/alerts: the built-in rules' pending and firing alerts and the recently resolved ones. */
import type { FastifyInstance } from 'fastify';
import type { Agent } from '../agent.js';

export function alertRoutes(app: FastifyInstance, agent: Agent): void {
  app.get('/api/alerts', async (req) => {
    const fp = (req.query as Record<string, string>).fingerprint;
    const pick = <T extends { fingerprint: string }>(l: T[]) =>
      fp ? l.filter((a) => a.fingerprint === fp) : l;
    const e = agent.alerting.engine;
    return { active: pick(e.active()), resolved: pick(e.history.slice(-50).reverse()) };
  });
}
