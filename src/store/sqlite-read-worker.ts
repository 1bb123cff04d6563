/**
 * Worker thread of SqliteReadDriver: its own read-only connection to the agent's database (WAL
 * lets it read while the agent writes), answering one query at a time, so a long dashboard query
 * never blocks the event loop that runs the scheduler and answers /-/healthy.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { toSqlite } from './sqlite-driver.js';

type Msg = { open: string } | { id: number; sql: string; params: (string | number | null)[] };

let db: Database.Database | null = null;
const cache = new Map<string, { stmt: Database.Statement; order: number[] }>();

parentPort!.on('message', (m: Msg) => {
  if ('open' in m) {
    try {
      db = new Database(m.open, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
    } catch (e) {
      db = null;
      parentPort!.postMessage({ openError: (e as Error).message });
    }
    return;
  }
  try {
    if (!db) throw new Error('the read connection is not open');
    let p = cache.get(m.sql);
    if (!p) {
      const { text, order } = toSqlite(m.sql);
      p = { stmt: db.prepare(text), order };
      cache.set(m.sql, p);
    }
    if (!p.stmt.reader) throw new Error('the read connection runs queries only');
    parentPort!.postMessage({ id: m.id, rows: p.stmt.all(...p.order.map((i) => m.params[i])) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
