/** The little a store needs from a database: queries with $1.. parameters and atomic batches. */
import type { Dialect } from './migrations.js';

export type Param = string | number | null;
export type Row = Record<string, unknown>;

export interface Driver {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  /** Run statements in one transaction: all commit or none. */
  batch(statements: [string, Param[]][]): Promise<void>;
  /** Apply pending migrations once, even with several agents starting together. */
  migrate(): Promise<void>;
  /** Refresh planner statistics (SQLite has no autoanalyze; PostgreSQL's autovacuum does it). */
  maintain(): Promise<void>;
  close(): Promise<void>;
}
