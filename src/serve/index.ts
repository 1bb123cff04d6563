/** `hostops serve`: agent (scheduler + probes + store), HTTP dashboard/API and /metrics. */
import { loadConfig, resolveConfig, type ResolvedConfig } from '../config/index.js';
import { Agent, type AgentOptions } from './agent.js';
import { buildHttp, listeningUrl } from './http.js';
import { assertBindAllowed } from './security.js';
import type { FastifyInstance } from 'fastify';

export { Agent, type AgentOptions } from './agent.js';
export { Scheduler, backoffDelay, type Job, type JobEvent } from './scheduler.js';
export { buildHttp, listeningUrl } from './http.js';
export { buildOverview, type Overview } from './overview.js';
export { AgentMetrics } from './metrics.js';
export { Alerting, type AlertView } from './alerts/index.js';
export {
  applicable,
  describeReload,
  type ReloadResult,
  type ReloadOk,
  type ReloadFailed,
} from './reload.js';
export * from './probes/index.js';

export interface Running {
  agent: Agent;
  http: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

/** Start an agent and its HTTP server from a resolved config. */
export async function serve(
  cfg: ResolvedConfig,
  o: AgentOptions & { auditLog?: string } = {},
): Promise<Running> {
  const token = cfg.listen.token ?? (process.env.HOSTOPS_TOKEN || undefined);
  assertBindAllowed(cfg.listen.host, token); // before anything is opened or started
  const agent = await Agent.create(cfg, o);
  let http: FastifyInstance;
  try {
    http = await buildHttp(agent, {
      host: cfg.listen.host,
      port: cfg.listen.port,
      token,
      auditLog: o.auditLog,
      allowedHosts: cfg.listen.allowedHosts,
    });
  } catch (e) {
    await agent.stop();
    throw e;
  }
  agent.baseURL = listeningUrl(http);
  await agent.start();
  return {
    agent,
    http,
    url: listeningUrl(http),
    async stop() {
      await http.close();
      await agent.stop();
    },
  };
}

export function configFrom(file?: string): { cfg: ResolvedConfig; file: string | null } {
  const { config, file: used } = loadConfig(file);
  return { cfg: resolveConfig(config), file: used };
}
