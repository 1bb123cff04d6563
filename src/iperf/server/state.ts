/**
 * What the whole listener shares across tests: its limits, the test that holds the server (at
 * most one), the test number and count, and the events it emits. Each test's own state is a
 * TestRun (test-run.ts).
 */
import net from 'node:net';
import { Admission } from '../admission.js';
import { Limits } from '../constants.js';
import type { ServerEvent, ServerOptions } from '../server.js';
import { BANNER } from '../text.js';

/** The one test holding the server, as the connection handler sees it. */
export interface Active {
  cookie: Buffer;
  /** sourceKey() of the control connection. */
  source: string;
  /** Set while the test waits for the client's parameters (ms since epoch), null once they came. */
  awaitingParamsSince: number | null;
  /** Ends a test that never sent its parameters, to let another client in. */
  preempt(reason: string): void;
  acceptingStreams: boolean;
  offer(sock: net.Socket): void;
}

/** ServerOptions with their defaults applied. */
export interface ServerLimits {
  ctlTimeout: number;
  dataIdle: number;
  maxDuration: number;
  maxPending: number;
  paramGrace: number;
  interval: number;
}

export function limitsOf(opts: ServerOptions): ServerLimits {
  return {
    ctlTimeout: opts.controlTimeoutMs ?? 10_000,
    dataIdle: opts.dataIdleTimeoutMs ?? 30_000,
    maxDuration: opts.maxDuration ?? 3600,
    maxPending: opts.maxPending ?? 32,
    paramGrace: opts.paramGraceMs ?? 2000,
    interval: opts.interval ?? 1,
  };
}

export class ServerState {
  active: Active | null = null;
  testNo = 1;
  completed = 0;
  closing = false;
  /** The bound port, known once listening. */
  port = 0;
  readonly limits: ServerLimits;
  /** Connections that have not sent their cookie yet. */
  readonly admission: Admission;
  /** Every open socket, control and data, destroyed on close. */
  readonly all = new Set<net.Socket>();
  readonly server = net.createServer({ noDelay: true });

  constructor(
    readonly opts: ServerOptions,
    /** UDP streams arrive on the same port; see startServer. */
    readonly family: 4 | 6,
  ) {
    this.limits = limitsOf(opts);
    this.admission = new Admission(this.limits.maxPending, opts.maxPendingPerSource ?? 4);
    this.server.maxConnections = this.limits.maxPending + Limits.maxParallel * 2 + 4;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.closing = true;
      for (const s of this.all) s.destroy();
      this.server.close(() => resolve());
    });
  }

  emit(e: ServerEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      /* a listener must not stop the server */
    }
  }

  banner(): void {
    for (const l of [BANNER, `Server listening on ${this.port} (test #${this.testNo})`, BANNER])
      this.emit({ type: 'line', line: l });
    this.emit({ type: 'listening', port: this.port, test: this.testNo });
  }

  /** Refuses a connection as iperf3 does: ACCESS_DENIED, then the close. */
  reject(sock: net.Socket, reason: string): void {
    this.emit({ type: 'rejected', peer: `${sock.remoteAddress} port ${sock.remotePort}`, reason });
    sock.end(Buffer.from([0xff]));
    setTimeout(() => sock.destroy(), 1000).unref();
  }
}
