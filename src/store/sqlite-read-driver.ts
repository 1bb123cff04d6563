/**
 * A read-only Driver whose queries run in a worker thread (src/store/sqlite-read-worker.ts) on
 * their own connection. better-sqlite3 is synchronous: on the main thread a month-long overview
 * query would stall the scheduler and every other request for as long as it runs.
 */
import type { Worker } from 'node:worker_threads';
import { newWorker } from '../mailq/worker.js';
import type { Driver, Param, Row } from './driver.js';

interface Waiting {
  resolve: (rows: unknown[]) => void;
  reject: (e: Error) => void;
}

export class SqliteReadDriver implements Driver {
  readonly dialect = 'sqlite' as const;
  private worker: Worker | null = null;
  private waiting = new Map<number, Waiting>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(readonly file: string) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const w = newWorker(new URL(`./sqlite-read-worker${ext}`, import.meta.url));
    w.on('message', (m: { id?: number; rows?: unknown[]; error?: string; openError?: string }) => {
      if (m.openError) {
        this.failure = new Error(`cannot open ${this.file} for reading: ${m.openError}`);
        this.failAll(this.failure);
        return;
      }
      const p = this.waiting.get(m.id!);
      if (!p) return;
      this.waiting.delete(m.id!);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.rows!);
      if (!this.waiting.size) w.unref();
    });
    w.on('error', (e) => {
      this.failAll(e);
      this.worker = null;
    });
    w.on('exit', () => {
      this.failAll(new Error('the SQLite read worker exited'));
      this.worker = null;
    });
    w.postMessage({ open: this.file });
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  all<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    if (this.failure) return Promise.reject(this.failure);
    const w = this.start();
    const id = this.nextId++;
    return new Promise<T[]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      w.ref(); // a query in flight keeps the process alive until it is answered
      w.postMessage({ id, sql, params });
    });
  }

  batch(): Promise<void> {
    return Promise.reject(new Error('SqliteReadDriver is read-only'));
  }
  migrate(): Promise<void> {
    return Promise.reject(new Error('SqliteReadDriver is read-only'));
  }
  async maintain(): Promise<void> {
    /* the writer's connection keeps the statistics */
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.failAll(new Error('the read connection was closed'));
    if (w) await w.terminate();
  }
}
