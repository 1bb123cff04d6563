/**
 * The HTTP side of the agent: dashboard (static files), JSON API, /metrics, /-/healthy.
 * Binds 127.0.0.1 by default; a non-loopback bind needs a token and then every request does.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from './agent.js';
import { apiRoutes } from './routes/api.js';
import { actionRoutes } from './routes/actions.js';
import { alertRoutes } from './routes/alerts.js';
import { assertBindAllowed, bearer, Csrf, isLoopback, safeEqual } from './security.js';
import { allowedHostNames, hostAllowed } from './host-check.js';
import { auditPathFor } from './audit.js';
import { listenError } from '../lib/listen-error.js';
import {
  PgDriver,
  SpooledStore,
  SqlStore,
  SqliteDriver,
  SqliteReadDriver,
  type Store,
} from '../store/index.js';
import { GateFull } from './routes/query-limits.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** src/web/static, both from src/serve (tsx) and dist/serve (built). */
export const WEB_ROOT = path.resolve(here, '..', '..', 'src', 'web', 'static');
const UPLOT_DIST = path.dirname(createRequire(import.meta.url).resolve('uplot'));

export interface HttpOptions {
  host: string;
  port: number;
  token?: string;
  auditLog?: string;
  /** Extra Host names to answer (listen.allowedHosts), besides the bound address and, on loopback, localhost. */
  allowedHosts?: string[];
}

export async function buildHttp(agent: Agent, o: HttpOptions): Promise<FastifyInstance> {
  assertBindAllowed(o.host, o.token);
  const app = Fastify({
    logger: false,
    bodyLimit: 1 << 20,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
  });
  const lockedDown = !isLoopback(o.host);
  const allowed = allowedHostNames(o.host, o.allowedHosts);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'same-origin');
    reply.header(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    );
    // DNS rebinding: a foreign name pointed at this address must not reach the dashboard or API
    if (!hostAllowed(req.headers.host, allowed)) {
      await reply.code(421).send({
        error: `this server does not answer for Host ${JSON.stringify(req.headers.host)}`,
        hint: 'add the name to listen.allowedHosts in hostops.yaml',
      });
      return;
    }
    if (!lockedDown) return;
    const url = req.url.split('?')[0];
    // the page itself and its scripts are public; data and metrics need the token
    if (url === '/' || url === '/-/healthy' || /^\/([\w-]+\.(js|css)|vendor\/[\w.-]+)$/.test(url))
      return;
    const t = bearer(req.headers.authorization);
    if (!t || !safeEqual(t, o.token!))
      await reply
        .code(401)
        .send({ error: 'a valid token is required (Authorization: Bearer ...)' });
  });

  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/', index: ['index.html'] });
  app.get('/vendor/uPlot.iife.min.js', (_req, reply) =>
    reply.sendFile('uPlot.iife.min.js', UPLOT_DIST),
  );
  app.get('/vendor/uPlot.min.css', (_req, reply) => reply.sendFile('uPlot.min.css', UPLOT_DIST));

  app.get('/-/healthy', async () => 'ok\n');
  app.get('/metrics', async (_req, reply) => {
    if (agent.store instanceof SpooledStore) {
      const st = agent.store.stats();
      agent.metrics.spoolRows.set(st.rows);
      agent.metrics.spoolDropped.set(st.dropped);
    }
    reply.header('Content-Type', agent.metrics.registry.contentType);
    return agent.metrics.registry.metrics();
  });
  // SQLite reads for the API run on a worker thread's own connection, off this event loop
  const reads = readStoreFor(agent.store, agent.cfg.store.readUrl, agent.cfg.store.prepare);
  if (reads !== agent.store)
    app.addHook('onClose', async () => {
      await reads.close();
    });
  apiRoutes(app, agent, reads);
  alertRoutes(app, agent);
  actionRoutes(app, agent, new Csrf(), allowed, o.token, o.auditLog ?? auditPathFor(agent.cfg));
  app.setErrorHandler((err, _req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (err instanceof GateFull) void reply.header('Retry-After', '1');
    void reply.code(status).send({ error: (err as Error).message });
  });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await app.close().catch(() => {});
    throw listenError(
      e,
      'dashboard',
      o.host,
      o.port,
      'choose another address or port with --listen host:port (listen.host / listen.port in hostops.yaml), or stop the program holding it (ss -ltnp)',
    );
  }
  return app;
}

/** A store for the API's reads: with a SQLite file, one whose queries run on a worker thread. */
function readStoreFor(store: Store, readUrl?: string, prepare?: boolean): Store {
  // a fleet agent writes as its site role and shows the fleet's matrix as the dashboard role
  if (readUrl && store.kind === 'postgres') return new SqlStore(new PgDriver(readUrl, { prepare }));
  if (
    !(store instanceof SqlStore) ||
    !(store.driver instanceof SqliteDriver) ||
    store.driver.db.memory
  )
    return store;
  return new SqlStore(new SqliteReadDriver(store.driver.db.name));
}

export function listeningUrl(app: FastifyInstance): string {
  const a = app.server.address();
  if (!a || typeof a === 'string') return String(a);
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}
