/**
 * Actions that change something. Each needs the configured token (Authorization: Bearer), a CSRF
 * token from GET /api/csrf in X-CSRF-Token, a JSON body and a same-origin request; every action
 * is audited in the state directory (src/serve/audit.ts), whose log is opened before it runs.
 */
import type { FileHandle } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Agent } from '../agent.js';
import { isMessageId } from '../../mailq/index.js';
import { bearer, safeEqual, sameOrigin, type Csrf } from '../security.js';
import { openAudit, writeAudit } from '../audit.js';

export function actionRoutes(
  app: FastifyInstance,
  agent: Agent,
  csrf: Csrf,
  allowedHosts: Set<string>,
  token: string | undefined,
  auditLog: string,
): void {
  app.get('/api/csrf', async () => ({ csrf: csrf.issue(), actions: Boolean(token) }));

  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (!token) {
      await reply.code(403).send({
        error: 'actions are disabled: set listen.token (or HOSTOPS_TOKEN) to enable them',
      });
      return false;
    }
    const t = bearer(req.headers.authorization);
    if (!t || !safeEqual(t, token)) {
      await reply
        .code(401)
        .send({ error: 'a valid token is required (Authorization: Bearer ...)' });
      return false;
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      await reply.code(415).send({ error: 'send application/json' });
      return false;
    }
    if (
      !sameOrigin(req.headers, allowedHosts) ||
      !csrf.verify(req.headers['x-csrf-token'] as string | undefined)
    ) {
      await reply.code(403).send({
        error:
          'CSRF check failed: fetch /api/csrf and send its token in X-CSRF-Token from this origin',
      });
      return false;
    }
    return true;
  };

  app.post('/api/mailq/remove', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const ids = (req.body as { ids?: unknown })?.ids;
    if (
      !Array.isArray(ids) ||
      !ids.length ||
      ids.length > 1000 ||
      !ids.every((i) => typeof i === 'string' && isMessageId(i))
    ) {
      return reply.code(400).send({ error: 'ids must be a list of 1-1000 Exim message ids' });
    }
    // the audit log is opened before anything is removed: no record, no action
    let fh: FileHandle;
    try {
      fh = await openAudit(auditLog);
    } catch (e) {
      return reply.code(503).send({
        error: `refused: ${(e as Error).message}`,
        hint: 'the agent needs a writable state directory (the directory of store.path, or of store.spool.path with PostgreSQL)',
      });
    }
    const res = await agent.probes.mailq.remove(ids as string[]);
    try {
      await writeAudit(fh, { action: 'mailq.remove', from: req.ip, requested: ids, ...res });
    } catch (e) {
      return reply.code(500).send({
        ...res,
        error: `the action ran but its audit record could not be written to ${auditLog}: ${(e as Error).message}`,
      });
    }
    return res;
  });
}
