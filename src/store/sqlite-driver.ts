/**
 * better-sqlite3 driver. WAL with synchronous=FULL: a transaction that returned is in the WAL
 * and fsynced, so neither kill -9 nor a power cut loses it (NORMAL would survive kill -9 but can
 * lose the last commits on power loss; measurement batches are few, so the fsync costs little).
 */
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { envError } from '../lib/errors.js';
import type { Driver, Param, Row } from './driver.js';
import { MIGRATIONS, MIGRATIONS_TABLE, renderSql } from './migrations.js';

/** `$1 .. $n` (the PostgreSQL style the store writes) to positional `?` plus the order to pass values in. */
export function toSqlite(sql: string): { text: string; order: number[] } {
  const order: number[] = [];
  const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  return { text, order };
}

/** The first component of `dir` that exists and is not a directory (/etc/passwd for /etc/passwd/x), if any. */
function fileInPath(dir: string): string | null {
  let p = dir;
  const up: string[] = [];
  while (path.dirname(p) !== p) {
    up.unshift(p);
    p = path.dirname(p);
  }
  for (const q of up) {
    try {
      if (!statSync(q).isDirectory()) return q;
    } catch {
      return null;
    }
  }
  return null;
}

interface Prepared {
  stmt: Database.Statement;
  order: number[];
}

export class SqliteDriver implements Driver {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private cache = new Map<string, Prepared>();

  constructor(file: string) {
    let db: Database.Database | null = null;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file);
      // the first read: a file that is not a database (SQLITE_NOTADB) fails here
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      try {
        db?.close();
      } catch {
        /* already unusable */
      }
      const blocker = file === ':memory:' ? null : fileInPath(path.dirname(path.resolve(file)));
      const why = blocker ? `${blocker} is a file, not a directory` : (e as Error).message;
      throw envError('STORE_OPEN', `cannot open the SQLite database ${file}: ${why}`);
    }
    this.db = db;
  }

  private prep(sql: string): Prepared {
    let p = this.cache.get(sql);
    if (!p) {
      const { text, order } = toSqlite(sql);
      p = { stmt: this.db.prepare(text), order };
      this.cache.set(sql, p);
    }
    return p;
  }

  private exec1(sql: string, params: Param[]): unknown[] {
    const { stmt, order } = this.prep(sql);
    const args = order.map((i) => params[i]);
    if (stmt.reader) return stmt.all(...args);
    stmt.run(...args);
    return [];
  }

  allSync<T = Row>(sql: string, params: Param[] = []): T[] {
    return this.exec1(sql, params) as T[];
  }

  async all<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.allSync<T>(sql, params);
  }

  batchSync(statements: [string, Param[]][]): void {
    this.db.transaction(() => {
      for (const [sql, p] of statements) this.exec1(sql, p);
    })();
  }

  async batch(statements: [string, Param[]][]): Promise<void> {
    this.batchSync(statements);
  }

  async migrate(): Promise<void> {
    this.db.exec(renderSql(MIGRATIONS_TABLE, 'sqlite'));
    this.db
      .transaction(() => {
        const done = new Set(
          this.db
            .prepare('SELECT version FROM schema_migrations')
            .all()
            .map((r) => (r as { version: number }).version),
        );
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          for (const s of m.sql) this.db.exec(renderSql(s, 'sqlite'));
          this.db
            .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
            .run(m.version, m.name, Date.now() / 1000);
        }
      })
      .immediate();
  }

  async maintain(): Promise<void> {
    // without statistics SQLite walks the whole 5-minute table in key order for the overview's
    // GROUP BY; with them it skip-scans the last day (measured: 45 ms -> 5 ms for 864k rows)
    this.db.pragma('analysis_limit = 1000');
    this.db.exec('ANALYZE');
  }

  async close(): Promise<void> {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }
}
