/** Wire a FleetFollower to a running agent: the inventory's targets replace the config's, by reload. */
import path from 'node:path';
import type { ResolvedConfig } from '../config/index.js';
import type { Store } from '../store/index.js';
import type { ReloadResult } from '../serve/reload.js';
import { FleetFollower } from './follow.js';
import type { FleetTarget } from './inventory.js';
import { pgOf } from './sla.js';

export { FleetFollower };

interface Reloadable {
  cfg: ResolvedConfig;
  store: Store;
  reload(next: ResolvedConfig, source?: string | null): Promise<ReloadResult>;
}

/** A config target's options (path, SLA) stay with a target of the same name. */
function withTargets(cfg: ResolvedConfig, ts: FleetTarget[]): ResolvedConfig {
  const targets = ts.map((t) => {
    const old = cfg.targets.find((x) => x.name === t.name);
    return {
      ...(old ?? { path: true }),
      name: t.name,
      host: t.address,
      ...(t.groups[0] ? { group: t.groups[0] } : {}),
    };
  });
  return { ...cfg, targets };
}

/** Start following when the agent's store is a fleet database that knows its site; null otherwise. */
export async function followFleet(
  agent: Reloadable,
  log: (m: string) => void,
): Promise<FleetFollower | null> {
  const sql = pgOf(agent.store);
  if (!sql) return null;
  const f = new FleetFollower({
    sql,
    site: agent.cfg.site,
    log,
    copyPath: path.join(path.dirname(agent.cfg.store.spool.path), 'fleet-assignment.json'),
    pollSeconds: agent.cfg.store.inventoryPoll,
    onChange: async (ts) => {
      await agent.reload(withTargets(agent.cfg, ts), 'fleet inventory');
    },
  });
  const r = await f.start();
  if (!r) {
    await f.stop();
    return null;
  }
  if (r.targets === null) return f; // database down, no copy: the follower retries and reloads once it answers
  await agent.reload(
    withTargets(agent.cfg, r.targets),
    r.source === 'database' ? 'fleet inventory' : 'fleet inventory (local copy)',
  );
  return f;
}
